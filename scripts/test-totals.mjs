// Adds up what ava printed for each package (as turbo prefixes it: "@iotgw/domain:test: ...").
// ava prints "N tests passed" only when nothing failed, so a package with failures has its passes
// counted from its ✔ lines instead.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const FAILURES = [/(\d+) tests? failed/, /(\d+) hooks? failed/, /(\d+) uncaught exceptions?/, /(\d+) unhandled rejections?/, /(\d+) tests? remained pending after a timeout/];

/** @param {Iterable<string>} lines  @returns {{ passed: number, failed: number }} */
export function testTotals(lines) {
  /** @type {Map<string, { summaryPassed: number, ticks: number, failed: number }>} */
  const packages = new Map();
  for (const raw of lines) {
    const line = raw.replace(ANSI, '');
    const prefixed = /^(\S+):test: (.*)$/.exec(line);
    const name = prefixed ? prefixed[1] : '';
    const text = prefixed ? prefixed[2] : line;
    const p = packages.get(name) ?? { summaryPassed: 0, ticks: 0, failed: 0 };
    packages.set(name, p);
    const summary = /^\s*(\d+) tests? passed/.exec(text);
    if (summary) p.summaryPassed += Number(summary[1]);
    if (/^\s*✔ /.test(text)) p.ticks += 1;
    for (const pattern of FAILURES) {
      const m = new RegExp(`^\\s*${pattern.source}`).exec(text);
      if (m) p.failed += Number(m[1]);
    }
  }
  let passed = 0;
  let failed = 0;
  for (const p of packages.values()) {
    passed += p.failed > 0 ? p.ticks : p.summaryPassed;
    failed += p.failed;
  }
  return { passed, failed };
}
