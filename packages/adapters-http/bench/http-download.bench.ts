/**
 * Downloads a 256 MB image from a local server with HttpFirmwareStore and with curl in the same
 * run, and writes the throughputs and every ratio to bench/results/http-download.json.
 * iotgw writes the image to disk and checks its MD5, so curl is measured three ways: to /dev/null,
 * to a file, and to a file followed by md5sum (the like-for-like comparison).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import got from 'got';
import { HttpFirmwareStore } from '../src/index.js';
import { imageMd5 } from '../test/helpers/firmware-server.js';

const SIZE = 256 * 1024 * 1024;
const ROUNDS = 3;
const CURL = '/usr/bin/curl';
const MD5SUM = '/usr/bin/md5sum';
const RESULTS = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));

const md5 = imageMd5(SIZE);
const server = spawn(process.execPath, [fileURLToPath(new URL('./serve-image.js', import.meta.url)), String(SIZE), md5], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
});

const run = promisify(execFile);

/** curl -s -o <target>; with `verify`, then md5sum of the file (what a user does for a verified image). */
async function timeCurl(target: 'null' | 'disk', verify = false): Promise<number> {
  const dir = target === 'disk' ? await mkdtemp(join(tmpdir(), 'iotgw-bench-curl-')) : undefined;
  const file = dir ? join(dir, 'image.bin') : '/dev/null';
  try {
    const started = performance.now();
    await run(CURL, ['-s', '-o', file, url]);
    if (verify) {
      const { stdout } = await run(MD5SUM, [file]);
      if (!stdout.startsWith(md5)) throw new Error('bench image MD5 mismatch (curl)');
    }
    return performance.now() - started;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** got alone into a no-op sink: splits the gap into got's cost and ours (disk, MD5, checkpoints). */
async function timeGotOnly(): Promise<number> {
  const started = performance.now();
  await pipeline(
    got.stream(url, { retry: { limit: 0 }, decompress: false }),
    new Writable({ write: (_chunk: Buffer, _encoding, callback) => callback() }),
  );
  return performance.now() - started;
}

async function timeIotgw(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'iotgw-bench-'));
  try {
    const store = new HttpFirmwareStore({ dataDir, sourceGuard: { allowLoopback: true } });
    const started = performance.now();
    const image = await store.obtain({ version: 'bench', url, md5, size: SIZE });
    const elapsed = performance.now() - started;
    if (image.md5 !== md5) throw new Error('bench image MD5 mismatch');
    return elapsed;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mbps = (ms: number): number => Math.round((SIZE / (1024 * 1024) / (ms / 1000)) * 10) / 10;

const samples: Record<string, number[]> = { curlNull: [], curlDisk: [], curlDiskMd5sum: [], iotgw: [], gotOnly: [] };
const timers: Record<string, () => Promise<number>> = {
  curlNull: () => timeCurl('null'),
  curlDisk: () => timeCurl('disk'),
  curlDiskMd5sum: () => timeCurl('disk', true),
  iotgw: timeIotgw,
  gotOnly: timeGotOnly,
};
try {
  // Alternate the order (forward, then reversed) so no contender always runs first or last.
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = Object.keys(timers);
    if (round % 2 === 1) order.reverse();
    for (const name of order) samples[name]!.push(await timers[name]!());
  }
} finally {
  server.kill('SIGTERM');
}

const speed = Object.fromEntries(Object.entries(samples).map(([name, ms]) => [name, mbps(median(ms))])) as Record<string, number>;
const TARGET = 0.9;
const ratio = (name: string): number => Math.round((speed.iotgw! / speed[name]!) * 1000) / 1000;
const baselines = {
  curlNull: 'curl -s -o /dev/null (no disk, no verification)',
  curlDisk: 'curl -s -o <file> (disk, no verification)',
  curlDiskMd5sum: 'curl -s -o <file> && md5sum <file> (disk + verification, what iotgw does)',
};
const comparisons = Object.entries(baselines).map(([name, what]) => ({
  baseline: what,
  baselineMiBps: speed[name]!,
  iotgwMiBps: speed.iotgw!,
  ratio: ratio(name),
  meetsTarget: ratio(name) >= TARGET,
}));
const met = comparisons.filter((c) => c.meetsTarget).map((c) => c.baseline);
const missed = comparisons.filter((c) => !c.meetsTarget).map((c) => c.baseline);
const result = {
  bench: 'http-download',
  sizeBytes: SIZE,
  rounds: ROUNDS,
  statistic: 'median',
  target: `iotgw >= ${TARGET} x curl`,
  verdict:
    `target met against: ${met.length ? met.join('; ') : 'none'}. ` +
    `target NOT met against: ${missed.length ? missed.join('; ') : 'none'}.`,
  comparisons,
  curlMiBps: speed.curlNull,
  curlDiskMiBps: speed.curlDisk,
  curlDiskMd5sumMiBps: speed.curlDiskMd5sum,
  iotgwMiBps: speed.iotgw,
  ratio: ratio('curlNull'),
  ratioCurlDisk: ratio('curlDisk'),
  ratioCurlDiskMd5sum: ratio('curlDiskMd5sum'),
  gotOnlyMiBps: speed.gotOnly,
  gotOnlyRatio: Math.round((speed.gotOnly! / speed.curlNull!) * 1000) / 1000,
  notes:
    'localhost; server in its own node process; iotgw writes to disk + MD5 + fsynced progress checkpoints; ' +
    'curl variants as named (to disk = page cache, no fsync); got alone = no-op sink',
  ms: Object.fromEntries(Object.entries(samples).map(([name, ms]) => [name, ms.map(Math.round)])),
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  node: process.version,
  at: new Date().toISOString(),
};
await mkdir(RESULTS, { recursive: true });
await writeFile(join(RESULTS, 'http-download.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
