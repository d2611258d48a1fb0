// Firmware goodput of the link protocol over a simulated 115200 8N1 serial line (11,520 B/s),
// run in virtual time so it measures the protocol, not this machine. Writes
// bench/results/link-goodput.json at the repository root.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GatewayEngine, ManualScheduler, type FirmwareTransferOptions } from '@iotgw/link-protocol';
import { SubdeviceSimulator, createThrottledPipe } from '@iotgw/simulators';

const BAUD = 115_200;
const LINE_RATE = BAUD / 10;
const IMAGE_SIZE = 128 * 1024;

interface Run {
  corruptRate: number;
  latencyMs: number;
  chunkSize: number;
  window: number;
  retransmitMs: number;
  ok: boolean;
  transferSeconds: number;
  goodputBytesPerSecond: number;
  lineEfficiency: number;
  bytesOnWire: number;
  bytesCorrupted: number;
}

// Image reads resolve in microtasks; a few turns let them land before the next timer runs.
const flush = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await Promise.resolve();
};

async function run(corruptRate: number, latencyMs: number, firmware: Required<Pick<FirmwareTransferOptions, 'chunkSize' | 'window' | 'retransmitMs'>>): Promise<Run> {
  const scheduler = new ManualScheduler();
  const pipe = createThrottledPipe({ baudRate: BAUD, latencyMs, corruptRate, seed: 1234, scheduler });
  let transferDoneAt = 0;
  const gateway = new GatewayEngine({ transmit: (b) => pipe.a.write(b) }, { scheduler, tickMs: 5, firmware: { ...firmware, maxRetransmits: 1000 } });
  pipe.a.on('data', (b) => gateway.feed(b));
  gateway.start();
  const sim = new SubdeviceSimulator(pipe.b, { productId: 'ABCDEFGHIJ', deviceName: 'bench', firmwareVersion: '1.0.0', scheduler, applyMs: 10, reorderChunks: 32 });
  sim.start();
  const image = Uint8Array.from({ length: IMAGE_SIZE }, (_, i) => (i * 131 + (i >> 7)) & 0xff);
  const md5 = Uint8Array.from(createHash('md5').update(image).digest());
  while (gateway.peers().length === 0 || !sim.connected) {
    scheduler.runNext();
    await flush();
  }
  const wireBefore = pipe.stats.bytesWritten;
  const started = scheduler.now();
  let outcome: { ok: boolean } | undefined;
  gateway
    .deliverFirmware(1, { version: '2.0.0', size: IMAGE_SIZE, md5, read: (o, l) => Promise.resolve(image.slice(o, o + l)) }, (p) => {
      if (p.phase === 'transferring' && p.bytes === IMAGE_SIZE && transferDoneAt === 0) transferDoneAt = scheduler.now();
    })
    .then(
      (o) => (outcome = o),
      () => (outcome = { ok: false }),
    );
  const limit = started + 600_000;
  while (outcome === undefined && scheduler.now() < limit) {
    await flush();
    if (!scheduler.runNext()) break;
  }
  gateway.stop();
  sim.stop();
  const seconds = (transferDoneAt - started) / 1000;
  const goodput = transferDoneAt > 0 ? IMAGE_SIZE / seconds : 0;
  return {
    corruptRate,
    latencyMs,
    ...firmware,
    ok: outcome?.ok === true && sim.lastImage !== undefined,
    transferSeconds: Number(seconds.toFixed(3)),
    goodputBytesPerSecond: Math.round(goodput),
    lineEfficiency: Number((goodput / LINE_RATE).toFixed(4)),
    bytesOnWire: pipe.stats.bytesWritten - wireBefore,
    bytesCorrupted: pipe.stats.bytesCorrupted,
  };
}

const wallStart = Date.now();
const clean: Run[] = [];
for (const [chunkSize, window] of [[256, 4], [512, 2], [512, 4], [1024, 4], [1024, 8]] as const) {
  clean.push(await run(0, 5, { chunkSize, window, retransmitMs: 500 }));
}
const noisy: Run[] = [];
for (const [chunkSize, window] of [[16, 16], [32, 8], [32, 16], [32, 32], [64, 8], [64, 16], [128, 8]] as const) {
  // The timeout must outlast a whole window on the wire, or queued chunks are resent needlessly.
  const windowMs = (window * (chunkSize + 20) * 1000) / LINE_RATE;
  noisy.push(await run(0.01, 5, { chunkSize, window, retransmitMs: Math.ceil(1.5 * windowMs + 20) }));
}
const best = (runs: Run[]): Run => runs.filter((r) => r.ok).sort((a, b) => b.goodputBytesPerSecond - a.goodputBytesPerSecond)[0]!;
const result = {
  bench: 'link-goodput',
  description: 'Firmware goodput over the throttled in-memory pipe (virtual time), 115200 baud 8N1, 5 ms one-way latency',
  lineRateBytesPerSecond: LINE_RATE,
  imageBytes: IMAGE_SIZE,
  target: { cleanLineEfficiency: 0.9 },
  clean: { best: best(clean), runs: clean },
  corrupt1pct: { best: best(noisy), runs: noisy },
  defaults: clean.find((r) => r.chunkSize === 512 && r.window === 4),
  wallSeconds: (Date.now() - wallStart) / 1000,
  node: process.version,
  date: new Date().toISOString(),
};
const out = fileURLToPath(new URL('../../../../bench/results/link-goodput.json', import.meta.url));
mkdirSync(fileURLToPath(new URL('../../../../bench/results/', import.meta.url)), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(
  `clean best: ${result.clean.best.goodputBytesPerSecond} B/s (${(result.clean.best.lineEfficiency * 100).toFixed(1)}% of line, chunk ${result.clean.best.chunkSize} window ${result.clean.best.window}); ` +
    `defaults 512x4: ${(result.defaults!.lineEfficiency * 100).toFixed(1)}%; ` +
    `1% corruption best: ${result.corrupt1pct.best.goodputBytesPerSecond} B/s (${(result.corrupt1pct.best.lineEfficiency * 100).toFixed(1)}%, chunk ${result.corrupt1pct.best.chunkSize} window ${result.corrupt1pct.best.window}); wall ${result.wallSeconds}s -> ${out}`,
);
