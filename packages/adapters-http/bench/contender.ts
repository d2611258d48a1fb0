/**
 * One Node contender of the download bench, in its own process (the server is in another):
 * `iotgw` (HttpFirmwareStore, defaults: disk + MD5 on a worker thread + checkpoints), `iotgw-main`
 * (the same with `hashing: 'main-thread'`), `got` (got alone into a no-op sink) or
 * `http` (node:http alone into a no-op sink, to tell got's cost from Node's HTTP client's).
 * Prints one JSON line: elapsed ms, CPU seconds of the whole process (every thread) during the
 * download, and RSS growth (peak minus the RSS just before it started).
 * argv: mode url md5 size
 */
import { get } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import got from 'got';
import { HttpFirmwareStore, type Md5Hashing } from '../src/index.js';

const [mode, url, md5, sizeText] = process.argv.slice(2) as [string, string, string, string];
const size = Number(sizeText);

const noopSink = (): Writable => new Writable({ write: (_chunk: Buffer, _encoding, callback) => callback() });

async function viaHttp(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    get(url, (response) => {
      pipeline(response, noopSink()).then(resolve, reject);
    }).once('error', reject);
  });
}

async function viaGot(): Promise<void> {
  await pipeline(got.stream(url, { retry: { limit: 0 }, decompress: false }), noopSink());
}

async function viaIotgw(dataDir: string, hashing: Md5Hashing): Promise<void> {
  const store = new HttpFirmwareStore({ dataDir, hashing, sourceGuard: { allowLoopback: true } });
  const image = await store.obtain({ version: 'bench', url, md5, size });
  if (image.md5 !== md5) throw new Error('bench image MD5 mismatch');
}

const dataDir = await mkdtemp(join(tmpdir(), 'iotgw-bench-'));
try {
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  if (mode === 'iotgw') await viaIotgw(dataDir, 'auto');
  else if (mode === 'iotgw-main') await viaIotgw(dataDir, 'main-thread');
  else if (mode === 'got') await viaGot();
  else if (mode === 'http') await viaHttp();
  else throw new Error(`unknown contender ${mode}`);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ ms, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssGrowthBytes: peakRss - rssBefore })}\n`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
