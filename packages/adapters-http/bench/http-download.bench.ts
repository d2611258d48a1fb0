/**
 * Downloads a 256 MB image from a local server with HttpFirmwareStore and with curl in the same
 * run, and writes both throughputs and their ratio to bench/results/http-download.json.
 * iotgw also writes the image to disk and checks its MD5; curl writes to /dev/null.
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
const RESULTS = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));

const md5 = imageMd5(SIZE);
const server = spawn(process.execPath, [fileURLToPath(new URL('./serve-image.js', import.meta.url)), String(SIZE), md5], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
});

async function timeCurl(): Promise<number> {
  const started = performance.now();
  await promisify(execFile)(CURL, ['-s', '-o', '/dev/null', url]);
  return performance.now() - started;
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
    const store = new HttpFirmwareStore({ dataDir });
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

const curlMs: number[] = [];
const iotgwMs: number[] = [];
const gotMs: number[] = [];
try {
  // Alternate so both see the same machine load.
  for (let round = 0; round < ROUNDS; round += 1) {
    curlMs.push(await timeCurl());
    iotgwMs.push(await timeIotgw());
    gotMs.push(await timeGotOnly());
  }
} finally {
  server.kill('SIGTERM');
}

const curl = mbps(median(curlMs));
const iotgw = mbps(median(iotgwMs));
const result = {
  bench: 'http-download',
  sizeBytes: SIZE,
  rounds: ROUNDS,
  statistic: 'median',
  curlMiBps: curl,
  iotgwMiBps: iotgw,
  ratio: Math.round((iotgw / curl) * 1000) / 1000,
  target: 0.9,
  gotOnlyMiBps: mbps(median(gotMs)),
  gotOnlyRatio: Math.round((mbps(median(gotMs)) / curl) * 1000) / 1000,
  notes: 'localhost; server in its own node process; iotgw writes to disk + MD5 + progress checkpoints, curl writes to /dev/null',
  curlMs: curlMs.map(Math.round),
  iotgwMs: iotgwMs.map(Math.round),
  gotOnlyMs: gotMs.map(Math.round),
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  node: process.version,
  at: new Date().toISOString(),
};
await mkdir(RESULTS, { recursive: true });
await writeFile(join(RESULTS, 'http-download.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
