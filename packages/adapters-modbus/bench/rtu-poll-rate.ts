/**
 * Polls per second on one Modbus RTU bus at 115200 baud: 10 units x 10 holding registers served
 * by pymodbus (its own process) over socat ptys, through a line emulator (its own process) that
 * gives the ptys the baud rate they lack. Compared with the line's theoretical limit, with a bare
 * modbus-serial loop on the same line, and with one unit that never answers added to the ten.
 * The same runs on the raw ptys (kernel speed, no line) show what the line emulator costs.
 *
 * Rounds: every round builds a fresh line and runs bare, link, link + dead unit one after the
 * other; the figures are the median of the rounds, so a burst of load from elsewhere on the
 * machine hits one round of one contender, not one contender for the whole bench.
 *
 *   npm run bench    (writes ../../bench/results/modbus-rtu-poll-rate.json)
 *   IOTGW_BENCH_ROUNDS=3 IOTGW_BENCH_WARMUP_MS=2000 IOTGW_BENCH_DEAD_WARMUP_MS=17000 IOTGW_BENCH_WINDOW_MS=10000 (defaults)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import modbusSerial from 'modbus-serial';
import { createModbusLink } from '../src/index.js';
import { PymodbusServer, type RegisterMap } from '../test/helpers/pymodbus-server.js';
import { PtyCable } from '../test/helpers/socat-pty.js';

const BAUD = 115_200;
const UNITS = 10;
const DEAD_UNIT = UNITS + 1;
const REGISTERS = 10;
/**
 * Well above the slowest answers seen on a loaded 2-core machine (p99 50-90 ms through the
 * emulator): a healthy unit whose answer comes after the timeout counts as failed and sits out a
 * retry backoff, which would charge this machine's load to the dead-unit comparison.
 */
const REQUEST_TIMEOUT_MS = 250;
const ROUNDS = Number(process.env.IOTGW_BENCH_ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.IOTGW_BENCH_WARMUP_MS ?? 2000);
const WINDOW_MS = Number(process.env.IOTGW_BENCH_WINDOW_MS ?? 10_000);
/**
 * The dead unit's run starts measuring once the unit is at its slow poll (link defaults: retries
 * after 0.5, 1, 2, 4, 8 s, then every 10 s), so the window shows the steady cost of a dead unit:
 * one timeout per slow poll. The ramp before it costs 6 timeouts in the first 16 s.
 */
const DEAD_UNIT_WARMUP_MS = Number(process.env.IOTGW_BENCH_DEAD_WARMUP_MS ?? 17_000);
const RESULTS = fileURLToPath(new URL('../../../../bench/results/modbus-rtu-poll-rate.json', import.meta.url));
const EMULATOR = fileURLToPath(new URL('./line-emulator.js', import.meta.url));

/** The line's limit for one read of `REGISTERS` registers: request + t3.5 + response + t3.5. */
function theoretical() {
  const charMs = (10 * 1000) / BAUD; // 8N1: start + 8 data + stop
  const requestBytes = 8; // unit, function, address (2), count (2), CRC (2)
  const responseBytes = 5 + 2 * REGISTERS; // unit, function, byte count, data, CRC (2)
  const gapMs = BAUD > 19_200 ? 1.75 : 3.5 * charMs; // the spec fixes t3.5 at 1.75 ms above 19200 baud
  const wireMs = (requestBytes + responseBytes) * charMs;
  const transactionMs = wireMs + 2 * gapMs;
  return { charMs: round(charMs, 4), requestBytes, responseBytes, gapMs, wireMs: round(wireMs, 3), transactionMs: round(transactionMs, 3), pollsPerS: round(1000 / transactionMs) };
}

// Unit DEAD_UNIT is in pymodbus's map but muted: it never answers, as a unit powered off. (A unit
// id pymodbus does not serve is answered with exception 4 by pymodbus 3.15: that unit would be
// present, not dead.)
const registerMap: RegisterMap = Object.fromEntries(
  range(DEAD_UNIT).map((u) => [u, { hr: Object.fromEntries(Array.from({ length: REGISTERS }, (_, i) => [i, u * 100 + i])) }]),
);
const model = { model: 'bench', points: Array.from({ length: REGISTERS }, (_, i) => ({ name: `r${i}`, function: 'holdingRegister', address: i })) };

interface Line {
  gatewayPath: string;
  server: PymodbusServer;
  close(): Promise<void>;
}

/** gateway ⇄ pty ⇄ [line emulator at BAUD] ⇄ pty ⇄ pymodbus; or, `raw`, gateway ⇄ pty ⇄ pymodbus. */
async function line(raw: boolean): Promise<Line> {
  const near = await PtyCable.create();
  let far: PtyCable | undefined;
  let emulator: ChildProcess | undefined;
  if (!raw) {
    far = await PtyCable.create();
    const child = spawn(process.execPath, [EMULATOR, near.device, far.gateway, String(BAUD)], { stdio: ['ignore', 'pipe', 'inherit'] });
    emulator = child;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`line emulator exited (${code})`)));
    });
  }
  const server = await PymodbusServer.start({ rtu: (far ?? near).device, baud: BAUD }, registerMap);
  await server.mute(DEAD_UNIT);
  return {
    gatewayPath: near.gateway,
    server,
    close: async () => {
      await server.stop();
      if (emulator) await stop(emulator);
      await far?.dispose();
      await near.dispose();
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  /** Readings per second of the ten healthy units together (one reading = one poll of 10 registers). */
  pollsPerS: number;
  requestsPerS: number;
  timeouts: number;
  /**
   * Request to answer, seen by the gateway (wire time both ways + pymodbus's turnaround + pty
   * hops): mean over the window; percentiles over the last 1024 answers (the link's metric).
   */
  responseMs: { mean: number; p50: number; p99: number; max: number } | null;
  /** pymodbus's own turnaround: request parsed to answer handed to its port. */
  pymodbusMs: { p50: number | null; p99: number | null };
  /** CPU of the gateway process over the window, % of one core. */
  cpuPercent: number;
  seconds: number;
  /** The machine's 1-minute load average at the end of the window (2 cores: above 2 is contention). */
  load1: number;
}

/** Our link polling as fast as it may (poll interval 0). `deadUnit` adds the unit that never answers. */
async function linkRun(l: Line, deadUnit: boolean, interFrameGapMs?: number): Promise<Run> {
  const units = range(UNITS).map((u) => ({ id: `BENCHMODBS/u${u}`, unit: u, model, pollIntervalMs: 0 }));
  if (deadUnit) units.push({ id: 'BENCHMODBS/dead', unit: DEAD_UNIT, model, pollIntervalMs: 0 });
  const link = await createModbusLink({ rtu: { path: l.gatewayPath, baudRate: BAUD, interFrameGapMs }, units, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  let healthy = 0;
  link.on('data', ({ subdevice }) => {
    if (subdevice.deviceName !== 'dead') healthy++;
  });
  await link.start();
  await sleep(deadUnit ? DEAD_UNIT_WARMUP_MS : WARMUP_MS);
  await l.server.stats(); // resets pymodbus's latency sample
  const before = { readings: healthy, metrics: link.metrics(), at: performance.now(), cpu: process.cpuUsage() };
  await sleep(WINDOW_MS);
  const seconds = (performance.now() - before.at) / 1000;
  const cpu = process.cpuUsage(before.cpu);
  const after = link.metrics();
  const server = await l.server.stats();
  await link.stop();
  return {
    pollsPerS: round((healthy - before.readings) / seconds),
    requestsPerS: round((after.requests - before.metrics.requests) / seconds),
    timeouts: after.timeouts - before.metrics.timeouts,
    responseMs: after.responseTimeMs && {
      ...after.responseTimeMs,
      mean: round((after.answeredMs - before.metrics.answeredMs) / (after.responses + after.exceptions - before.metrics.responses - before.metrics.exceptions), 3),
    },
    pymodbusMs: { p50: server.latency_ms.p50, p99: server.latency_ms.p99 },
    cpuPercent: round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100),
    seconds: round(seconds),
    load1: round(loadavg()[0] ?? 0, 2),
  };
}

/** The same reads by a bare modbus-serial client, back to back with no inter-frame gap: its ceiling. */
async function bareRun(l: Line): Promise<Run> {
  const client = new modbusSerial.default();
  await client.connectRTUBuffered(l.gatewayPath, { baudRate: BAUD });
  client.setTimeout(REQUEST_TIMEOUT_MS);
  let polls = 0;
  let timeouts = 0;
  const times: number[] = [];
  const poll = async (u: number): Promise<void> => {
    client.setID(u);
    const sent = performance.now();
    try {
      await client.readHoldingRegisters(0, REGISTERS);
      times.push(performance.now() - sent);
      polls++;
    } catch {
      timeouts++; // the first requests may go out before pymodbus has its port open
    }
  };
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) for (const u of range(UNITS)) await poll(u);
  await l.server.stats();
  polls = 0;
  timeouts = 0;
  times.length = 0;
  const cpuFrom = process.cpuUsage();
  const from = performance.now();
  while (performance.now() < from + WINDOW_MS) for (const u of range(UNITS)) await poll(u);
  const seconds = (performance.now() - from) / 1000;
  const cpu = process.cpuUsage(cpuFrom);
  const server = await l.server.stats();
  await new Promise<void>((resolve) => client.close(() => resolve()));
  times.sort((a, b) => a - b);
  const at = (q: number): number => round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0, 3);
  return {
    pollsPerS: round(polls / seconds),
    requestsPerS: round((polls + timeouts) / seconds),
    timeouts,
    responseMs: times.length ? { mean: round(times.reduce((a, b) => a + b, 0) / times.length, 3), p50: at(0.5), p99: at(0.99), max: round(times.at(-1) ?? 0, 3) } : null,
    pymodbusMs: { p50: server.latency_ms.p50, p99: server.latency_ms.p99 },
    cpuPercent: round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100),
    seconds: round(seconds),
    load1: round(loadavg()[0] ?? 0, 2),
  };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : round((s[mid - 1]! + s[mid]!) / 2);
}

type Contender = 'bare' | 'link' | 'linkNoGap' | 'linkWithDeadUnit';
const CONTENDERS: ReadonlyArray<[Contender, (l: Line) => Promise<Run>]> = [
  ['bare', bareRun],
  ['link', (l) => linkRun(l, false)],
  // Diagnostic, not a setting to use: the link without the inter-frame gap (as bare has none),
  // to tell the gap's cost on this machine from the rest of the link's.
  ['linkNoGap', (l) => linkRun(l, false, 0)],
  ['linkWithDeadUnit', (l) => linkRun(l, true)],
];

let current: Line | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Leave no pymodbus, emulator or socat behind.
    void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function measure(raw: boolean, label: string, roundCount = ROUNDS): Promise<Record<Contender, { medianPollsPerS: number; rounds: Run[] }>> {
  const rounds: Record<Contender, Run[]> = { bare: [], link: [], linkNoGap: [], linkWithDeadUnit: [] };
  for (let r = 1; r <= roundCount; r++) {
    const l = await line(raw);
    current = l;
    try {
      for (const [name, run] of CONTENDERS) {
        const result = await run(l);
        rounds[name].push(result);
        console.log(`${label} round ${r}/${roundCount} ${name}: ${result.pollsPerS} polls/s, response mean ${result.responseMs?.mean} p50 ${result.responseMs?.p50} p99 ${result.responseMs?.p99} ms, ${result.timeouts} timeouts, cpu ${result.cpuPercent}%, load ${result.load1}`);
      }
    } finally {
      current = undefined;
      await l.close();
    }
  }
  const out = {} as Record<Contender, { medianPollsPerS: number; rounds: Run[] }>;
  for (const [name] of CONTENDERS) out[name] = { medianPollsPerS: median(rounds[name].map((x) => x.pollsPerS)), rounds: rounds[name] };
  return out;
}

async function main(): Promise<void> {
  const limit = theoretical();
  const loadBefore = loadavg().map((l) => round(l, 2));
  console.log(`theoretical limit at ${BAUD} baud, ${REGISTERS} registers a read: ${limit.transactionMs} ms a poll, ${limit.pollsPerS} polls/s; load ${loadBefore.join(' ')}`);
  const emulated = await measure(false, 'line 115200');
  const rawPty = await measure(true, 'raw pty', 1); // a reference: what the emulated line costs
  const link = emulated.link.medianPollsPerS;
  const msPerPoll = 1000 / link;
  const responseMean = median(emulated.link.rounds.map((r) => r.responseMs?.mean ?? 0));
  // Each round runs its contenders back to back on one line, so a ratio within a round compares
  // them under about the same load; the median of those is the figure least moved by load.
  const paired = (a: Run[], b: Run[]): number => median(a.map((x, i) => round(x.pollsPerS / (b[i]?.pollsPerS ?? Number.NaN), 3)));
  const summary = {
    linkVsTheoretical: round(link / limit.pollsPerS, 3),
    bestLinkVsTheoretical: round(Math.max(...emulated.link.rounds.map((r) => r.pollsPerS)) / limit.pollsPerS, 3),
    bareVsTheoretical: round(emulated.bare.medianPollsPerS / limit.pollsPerS, 3),
    linkVsBare: paired(emulated.link.rounds, emulated.bare.rounds),
    linkNoGapVsBare: paired(emulated.linkNoGap.rounds, emulated.bare.rounds),
    deadUnitRatio: paired(emulated.linkWithDeadUnit.rounds, emulated.link.rounds),
    deadUnitRatioRawPty: paired(rawPty.linkWithDeadUnit.rounds, rawPty.link.rounds),
    /** What a dead unit should cost once at its slow poll: one timeout per downPollIntervalMs (10 s). */
    deadUnitExpectedRatio: round(1 - REQUEST_TIMEOUT_MS / 10_000, 3),
    /**
     * Where a poll's time goes on the emulated line (medians of rounds): the answer (mean: wire
     * both ways, pymodbus, pty hops), the inter-frame gap the link keeps after it, and the rest
     * (the link's own work and timer lateness on this machine).
     */
    /**
     * The link's polls against what a master that loses no time at all would reach on this same
     * chain: one poll per (mean answer time the link saw + the gap). The answer time is the
     * machine's (line emulator, ptys, pymodbus, load); what is left is the link's own cost.
     */
    linkVsAnswersPlusGap: median(emulated.link.rounds.map((r) => round(r.pollsPerS / (1000 / ((r.responseMs?.mean ?? Number.NaN) + limit.gapMs)), 3))),
    /**
     * The same for the run with the dead unit, its timeouts' bus time taken out: about the same
     * figure as linkVsAnswersPlusGap means the dead unit costs the others its timeouts and nothing
     * more, whatever this machine's load did to the answer times.
     */
    deadUnitRunVsAnswersPlusGap: median(
      emulated.linkWithDeadUnit.rounds.map((r) => {
        const busMsPerS = 1000 - (r.timeouts * (REQUEST_TIMEOUT_MS + limit.gapMs)) / r.seconds;
        return round(r.pollsPerS / (busMsPerS / ((r.responseMs?.mean ?? Number.NaN) + limit.gapMs)), 3);
      }),
    ),
    linkPollMs: { total: round(msPerPoll, 3), responseMean, gap: limit.gapMs, rest: round(msPerPoll - responseMean - limit.gapMs, 3) },
    targets: { linkVsTheoretical: 0.8, deadUnitRatio: 0.9 },
    /** Answers on this machine against the line's own time for them (request + response on the wire + pymodbus's turnaround). */
    answerMsMedian: { link: responseMean, wireAndTurnaround: round(limit.wireMs + (median(emulated.link.rounds.map((r) => r.pymodbusMs.p50 ?? 0)) || 0), 3) },
  };
  console.log(`summary: ${JSON.stringify(summary)}`);
  mkdirSync(dirname(RESULTS), { recursive: true });
  const result = {
    bench: 'modbus-rtu-poll-rate',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg().map((l) => round(l, 2)), node: process.version, pymodbus: await pymodbusVersion() },
    setup: {
      baud: BAUD,
      units: UNITS,
      registersPerRead: REGISTERS,
      rounds: ROUNDS,
      warmupMs: WARMUP_MS,
      deadUnitWarmupMs: DEAD_UNIT_WARMUP_MS,
      windowMs: WINDOW_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      deadUnit: `unit ${DEAD_UNIT}, muted in pymodbus (never answers); link defaults: offline after 3 failures, retried after 0.5, 1, 2, 4, 8 s, then every 10 s (downPollIntervalMs)`,
      line: 'bench/line-emulator.ts: each frame delivered to the other pty when its last byte would have left a 115200 8N1 wire (10 bits a character), one frame on the line at a time',
    },
    theoretical: limit,
    line115200: emulated,
    rawPty,
    summary,
  };
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${RESULTS}`);
}

async function pymodbusVersion(): Promise<string> {
  const child = spawn(process.env.IOTGW_PYTHON ?? 'python3', ['-c', 'import pymodbus; print(pymodbus.__version__)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((r) => child.once('exit', r));
  return out.trim();
}

await main();
