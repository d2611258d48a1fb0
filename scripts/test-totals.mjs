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

const MARKS = [/^✘ /, /^◌ /, /^\d+ tests? (were|was) pending in /, /^Uncaught exception in /, /^Unhandled rejection in /];

/**
 * What failed, short enough to read at the end of a long CI log (where only the tail may be kept):
 * ava's ✘ and pending lines per package, then each failure's explanation from ava's closing
 * details without source excerpts or stack frames, a few lines each.
 * @param {Iterable<string>} lines  @param {number} [perFailure]  @returns {string[]}
 */
export function testFailures(lines, perFailure = 8) {
  const marks = [];
  /** @type {Map<string, string[]>} */
  const details = new Map();
  /** @type {Map<string, boolean>} */
  const inDetails = new Map();
  for (const raw of lines) {
    const line = raw.replace(ANSI, '');
    const prefixed = /^(\S+):test: (.*)$/.exec(line);
    const name = prefixed ? prefixed[1] : '';
    const text = (prefixed ? prefixed[2] : line).trim();
    if (MARKS.some((m) => m.test(text))) marks.push(`${name ? `${name}: ` : ''}${text}`);
    // ava opens and closes its details with a lone "─"; the summary lines follow the closing one.
    if (text === '─') {
      inDetails.set(name, !inDetails.get(name));
      continue;
    }
    if (!inDetails.get(name) || text === '' || /^\d+: /.test(text) || /^at /.test(text) || /^› /.test(text)) continue;
    const list = details.get(name) ?? [];
    details.set(name, list);
    list.push(text);
  }
  if (marks.length === 0) return [];
  const out = ['failures:', ...marks.map((m) => `  ${m}`)];
  for (const [name, list] of details) {
    if (list.length === 0) continue;
    out.push(`details${name ? ` (${name})` : ''}:`);
    // A new failure's block starts at its title: a line that a ✘ mark of this package ends with.
    let shown = 0;
    for (const text of list) {
      const isTitle = marks.some((m) => m.startsWith(`${name ? `${name}: ` : ''}✘ [fail]: ${text}`));
      if (isTitle) shown = 0;
      if (shown++ < perFailure) out.push(`  ${isTitle ? '' : '  '}${text.slice(0, 300)}`);
    }
  }
  return out;
}
