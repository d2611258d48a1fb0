/**
 * Downloads a 256 MiB image from a local server with HttpFirmwareStore and with curl in the same
 * run, and writes throughput, CPU seconds per 100 MiB, RSS growth and every ratio to
 * bench/results/http-download.json. The server and every contender run in their own processes.
 * iotgw writes the image to disk and checks its MD5, so curl is measured four ways: to /dev/null,
 * to a file, to a file followed by md5sum (the like-for-like baseline), and to a file made
 * durable (`sync <file>`) before md5sum (iotgw fsyncs the image before it verifies and keeps it).
 * got alone and node:http alone (no-op sinks) split the rest into got's cost and Node's HTTP
 * client's; node:http alone and the store also run with glibc keeping freed memory (the cost of
 * giving it back and faulting it in again, shown by the minor page faults of each contender).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_OPTIONS, serviceNodeArgs } from '@iotgw/testkit/mosquitto';
import { imageMd5 } from '../test/helpers/firmware-server.js';

const SIZE = 256 * 1024 * 1024;
const ROUNDS = Number(process.env.IOTGW_BENCH_ROUNDS ?? 5);
const TARGET = 0.9;
const RESULTS = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
const MIB = 1024 * 1024;

const md5 = imageMd5(SIZE);
const server = spawn(process.execPath, [fileURLToPath(new URL('./serve-image.js', import.meta.url)), String(SIZE), md5], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
});

const run = promisify(execFile);

interface Sample {
  ms: number;
  cpuSeconds: number;
  rssGrowthBytes?: number;
  /** Node contenders: minor page faults during the download (memory the kernel had to map in). */
  minorFaults?: number;
}

/**
 * glibc keeping up to 64 MiB of freed memory instead of giving it back to the kernel at once (its
 * default trim threshold is 128 KiB, raised as it sees large frees). Measured beside the defaults:
 * with the defaults Node's HTTP client re-faulted the memory of its 64 KiB socket buffers again and
 * again (README, "Results (2026-12-01, second run)").
 */
const KEEP_FREED_MEMORY = { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=67108864' };

/**
 * A shell command timed from outside; its CPU is what bash's `times` reports for its children
 * (curl and md5sum), so process start-up is counted for curl as it is not for Node's contenders.
 */
async function timeShell(script: string): Promise<Sample> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-bench-curl-'));
  try {
    const started = performance.now();
    // SHLVL as in any login shell: without it (turbo runs `npm run bench` with a filtered
    // environment) curl in this `bash -c` ran 2.5-3.5x slower with 4x the CPU per byte (2026-12-01:
    // 363-424 vs 974-1,561 MiB/s to /dev/null; cause not found), and the baseline looked slower
    // than what a user's shell gets.
    const env = { ...process.env, SHLVL: process.env.SHLVL ?? '1', URL: url, FILE: join(dir, 'image.bin') };
    const { stdout } = await run('bash', ['-c', `${script}\ntimes`], { env });
    const ms = performance.now() - started;
    if (script.includes('md5sum') && !stdout.includes(md5)) throw new Error('bench image MD5 mismatch (curl)');
    // `times`: the shell's own user/sys, then its children's, as "0m0.123s 0m0.045s".
    const children = stdout.trim().split('\n').at(-1)!;
    const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    return { ms, cpuSeconds: seconds.reduce((a, b) => a + b, 0) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Node contender (bench/contender.ts) in its own process; it measures itself. */
async function timeNode(mode: 'iotgw' | 'iotgw-main' | 'got' | 'http', nodeArgs: readonly string[] = [], env: Record<string, string> = {}): Promise<Sample> {
  const contender = fileURLToPath(new URL('./contender.js', import.meta.url));
  const { stdout } = await run(process.execPath, [...nodeArgs, contender, mode, url, md5, String(SIZE)], { env: { ...process.env, ...env } });
  return JSON.parse(stdout) as Sample;
}

const contenders = {
  curlNull: { what: 'curl -s -o /dev/null (no disk, no verification)', time: () => timeShell('curl -s -o /dev/null "$URL"') },
  curlDisk: { what: 'curl -s -o <file> (disk, no verification)', time: () => timeShell('curl -s -o "$FILE" "$URL"') },
  curlDiskMd5sum: {
    what: 'curl -s -o <file> && md5sum <file> (disk + verification: the like-for-like baseline)',
    time: () => timeShell('curl -s -o "$FILE" "$URL" && md5sum "$FILE"'),
  },
  curlDiskSyncMd5sum: {
    what: 'curl -s -o <file> && sync <file> && md5sum <file> (disk made durable + verification: the job iotgw does, which fsyncs the image before it verifies and keeps it)',
    time: () => timeShell('curl -s -o "$FILE" "$URL" && sync "$FILE" && md5sum "$FILE"'),
  },
  httpOnly: { what: 'node:http alone into a no-op sink', time: () => timeNode('http') },
  httpOnlyKeepFreed: {
    what: `node:http alone into a no-op sink, ${KEEP_FREED_MEMORY.GLIBC_TUNABLES}`,
    time: () => timeNode('http', [], KEEP_FREED_MEMORY),
  },
  gotOnly: { what: 'got alone into a no-op sink', time: () => timeNode('got') },
  iotgwMainThread: {
    what: "HttpFirmwareStore with hashing: 'main-thread' (disk + MD5 on the main thread + 1 s fsynced checkpoints)",
    time: () => timeNode('iotgw-main'),
  },
  iotgw: { what: 'HttpFirmwareStore, defaults (disk + MD5 on a worker thread + 1 s fsynced checkpoints)', time: () => timeNode('iotgw') },
  iotgwServiceHeap: {
    what: `HttpFirmwareStore, defaults, in a process with the shipped service's NODE_OPTIONS=${SERVICE_NODE_OPTIONS}`,
    time: () => timeNode('iotgw', serviceNodeArgs()),
  },
  iotgwKeepFreed: {
    what: `HttpFirmwareStore, defaults, ${KEEP_FREED_MEMORY.GLIBC_TUNABLES}`,
    time: () => timeNode('iotgw', [], KEEP_FREED_MEMORY),
  },
} satisfies Record<string, { what: string; time: () => Promise<Sample> }>;
type Name = keyof typeof contenders;

const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, [] as Sample[]])) as Record<Name, Sample[]>;
const loadDuring: number[][] = [loadavg()];
try {
  // Alternate the order (forward, then reversed) so no contender always runs first or last.
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = Object.keys(contenders) as Name[];
    if (round % 2 === 1) order.reverse();
    for (const name of order) samples[name].push(await contenders[name].time());
    loadDuring.push(loadavg());
  }
} finally {
  server.kill('SIGTERM');
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const summary = Object.fromEntries(
  (Object.keys(contenders) as Name[]).map((name) => {
    const list = samples[name];
    const ms = median(list.map((s) => s.ms));
    const rss = list.map((s) => s.rssGrowthBytes).filter((x): x is number => x !== undefined);
    const faults = list.map((s) => s.minorFaults).filter((x): x is number => x !== undefined);
    return [
      name,
      {
        what: contenders[name].what,
        MiBps: round1(SIZE / MIB / (ms / 1000)),
        cpuSecondsPer100MiB: round3(median(list.map((s) => s.cpuSeconds)) / (SIZE / (100 * MIB))),
        // Every round's figure too, so a maximum can be read against the others.
        ...(rss.length ? { rssGrowthMB: { median: round1(median(rss) / MIB), max: round1(Math.max(...rss) / MIB), rounds: rss.map((b) => round1(b / MIB)) } } : {}),
        ...(faults.length ? { minorFaults: { median: median(faults), max: Math.max(...faults), rounds: faults } } : {}),
        ms: list.map((s) => Math.round(s.ms)),
      },
    ];
  }),
) as Record<Name, { what: string; MiBps: number; cpuSecondsPer100MiB: number; rssGrowthMB?: { median: number; max: number; rounds: number[] }; minorFaults?: { median: number; max: number; rounds: number[] }; ms: number[] }>;

const iotgw = summary.iotgw;
const ratioTo = (name: Name): number => round3(iotgw.MiBps / summary[name].MiBps);
const comparisons = (['curlNull', 'curlDisk', 'curlDiskMd5sum', 'curlDiskSyncMd5sum'] as const).map((name) => ({
  baseline: summary[name].what,
  baselineMiBps: summary[name].MiBps,
  iotgwMiBps: iotgw.MiBps,
  ratio: ratioTo(name),
  meetsTarget: ratioTo(name) >= TARGET,
}));
const like = comparisons[2]!;
const rssMax = iotgw.rssGrowthMB?.max ?? Infinity;
const MB_NOTE = 'MB here = MiB (2^20 bytes)';
const result = {
  bench: 'http-download',
  sizeBytes: SIZE,
  rounds: ROUNDS,
  statistic: 'median',
  target: `iotgw >= ${TARGET} x (curl -o file && md5sum file); RSS growth < 50 MB for 256 MiB`,
  units: MB_NOTE,
  verdict:
    `throughput ${like.ratio} x curl + md5sum: ${like.meetsTarget ? 'met' : 'NOT met'}; ` +
    `RSS growth at most ${rssMax} MB: ${rssMax < 50 ? 'met' : 'NOT met'}`,
  comparisons,
  contenders: summary,
  // Flat figures kept for readers of the earlier format.
  curlMiBps: summary.curlNull.MiBps,
  curlDiskMiBps: summary.curlDisk.MiBps,
  curlDiskMd5sumMiBps: summary.curlDiskMd5sum.MiBps,
  iotgwMiBps: iotgw.MiBps,
  ratio: ratioTo('curlNull'),
  ratioCurlDisk: ratioTo('curlDisk'),
  ratioCurlDiskMd5sum: ratioTo('curlDiskMd5sum'),
  ratioCurlDiskSyncMd5sum: ratioTo('curlDiskSyncMd5sum'),
  ratioHttpOnly: ratioTo('httpOnly'),
  ratioHttpOnlyKeepFreed: ratioTo('httpOnlyKeepFreed'),
  ratioKeepFreedCurlDiskMd5sum: round3(summary.iotgwKeepFreed.MiBps / summary.curlDiskMd5sum.MiBps),
  gotOnlyMiBps: summary.gotOnly.MiBps,
  httpOnlyMiBps: summary.httpOnly.MiBps,
  iotgwMainThreadMiBps: summary.iotgwMainThread.MiBps,
  iotgwServiceHeapMiBps: summary.iotgwServiceHeap.MiBps,
  ratioServiceHeapCurlDiskMd5sum: round3(summary.iotgwServiceHeap.MiBps / summary.curlDiskMd5sum.MiBps),
  ratioMainThreadCurlDiskMd5sum: round3(summary.iotgwMainThread.MiBps / summary.curlDiskMd5sum.MiBps),
  notes:
    'localhost; server (node) in its own process; each contender in its own process, run in alternating order; ' +
    'CPU = user + sys of the contender (for curl + md5sum: both, from bash `times`; for Node: the whole process, worker included); ' +
    'RSS growth = peak RSS minus RSS just before the download; curl to disk = page cache, no fsync (sync <file>: one fsync at the end); ' +
    'each Node contender loads only the modules it runs; ' +
    'iotgw fsyncs a checkpoint at most every second and once at the end',
  loadAverage: { atStart: loadDuring[0]!.map(round1), afterEachRound: loadDuring.slice(1).map((l) => l.map(round1)) },
  node: process.version,
  at: new Date().toISOString(),
};
await mkdir(RESULTS, { recursive: true });
await writeFile(join(RESULTS, 'http-download.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
