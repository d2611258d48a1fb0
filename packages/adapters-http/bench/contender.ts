/**
 * One Node contender of the download bench, in its own process (the server is in another):
 * `iotgw` (HttpFirmwareStore, defaults: disk + MD5 on a worker thread + checkpoints), `iotgw-main`
 * (the same with `hashing: 'main-thread'`), `got` (got alone into a no-op sink) or
 * `http` (node:http alone into a no-op sink, to tell got's cost from Node's HTTP client's).
 * Prints one JSON line: elapsed ms, CPU seconds of the whole process (every thread) during the
 * download, RSS growth (peak minus the RSS just before it started) and minor page faults.
 * argv: mode url md5 size
 */
import { get } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Md5Hashing } from '../src/index.js';

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

/**
 * Loads what `mode` runs and returns the download to time; the loading is not timed. Each
 * contender loads only its own modules: with got and the store loaded (a larger heap) node:http
 * alone ran 2-4x slower, all of it in glibc's malloc giving freed memory back to the kernel and
 * faulting it in again (README, "Results (2026-12-01, second run)").
 */
async function contender(dataDir: string): Promise<() => Promise<void>> {
  if (mode === 'http') return viaHttp;
  if (mode === 'got') {
    const { default: got } = await import('got');
    return () => pipeline(got.stream(url, { retry: { limit: 0 }, decompress: false }), noopSink());
  }
  if (mode === 'iotgw' || mode === 'iotgw-main') {
    const { HttpFirmwareStore } = await import('../src/index.js');
    const hashing: Md5Hashing = mode === 'iotgw' ? 'auto' : 'main-thread';
    return async () => {
      const store = new HttpFirmwareStore({ dataDir, hashing, sourceGuard: { allowLoopback: true } });
      const image = await store.obtain({ version: 'bench', url, md5, size });
      if (image.md5 !== md5) throw new Error('bench image MD5 mismatch');
    };
  }
  throw new Error(`unknown contender ${mode}`);
}

const dataDir = await mkdtemp(join(tmpdir(), 'iotgw-bench-'));
try {
  const download = await contender(dataDir);
  const rssBefore = process.memoryUsage().rss;
  const faultsBefore = process.resourceUsage().minorPageFault;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await download();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ ms, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssGrowthBytes: usage.maxRSS * 1024 - rssBefore, minorFaults: usage.minorPageFault - faultsBefore })}\n`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
