/**
 * The gateway of the offline-store scale bench, alone in its process: queues `count` readings of
 * `subdevices` subdevices while the hub is down (the broker is not running yet), reporting its
 * peak RSS; then, once the hub is there, brings them online and drains; then measures the online
 * uplink rate the same way (same process, same store) for the ratio.
 *
 * argv: port count subdevices dir [rate: readings/s while queuing, 0 = burst]
 */
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { constants as perf, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { subdeviceId } from '@iotgw/domain';
import { MqttHubTransport } from '../src/index.js';

const [portArg, countArg, subsArg, dir, rateArg] = process.argv.slice(2);
/** Readings per second while queuing; 0: a burst, as fast as the store takes them. */
const rate = Number(rateArg ?? 0);
const port = Number(portArg);
const count = Number(countArg);
const subs = Array.from({ length: Number(subsArg) }, (_, i) => subdeviceId('SUBPRODAAA', `s${i}`));
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const lines = createInterface({ input: process.stdin });

/** GC work per phase (queuing, draining, online): what a heap setting costs shows up here. */
const gc = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = ((entry as PerformanceEntry & { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
    if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) {
      gc.markCompacts++;
      gc.markCompactMs += entry.duration;
    } else if (kind === perf.NODE_PERFORMANCE_GC_MINOR) {
      gc.scavenges++;
      gc.scavengeMs += entry.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });
/** GC since the last call, then starts counting afresh. */
const gcSinceLast = (): Record<string, number> => {
  const taken = { scavenges: gc.scavenges, scavengeMs: Math.round(gc.scavengeMs), markCompacts: gc.markCompacts, markCompactMs: Math.round(gc.markCompactMs) };
  Object.assign(gc, { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 });
  return taken;
};
const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));

const transport = new MqttHubTransport({
  gateway: subdeviceId('GWPRODUCT1', 'gw1'),
  auth: { mode: 'KEY', deviceSecret: 'Z3dTZWNyZXRLZXkxMjM0NQ==' },
  host: '127.0.0.1',
  port,
  tls: false,
  reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
  offlineStore: { dir: dir ?? '' },
});
// The hub is down: the connection keeps trying in the background while readings are held.
const connected = transport.connect({ timeoutMs: Number.POSITIVE_INFINITY });
const reading = (run: string, s: number, n: number): Buffer => Buffer.from(`{"temperature":21.5,"humidity":40,"r":"${run}","s":"s${s}","n":${n}}`);

/** The memory picture at the peak RSS while queuing: where the bytes are. */
interface MemorySample {
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  readonly newSpaceMB: number;
  readonly oldSpaceMB: number;
  readonly externalMB: number;
  readonly arrayBuffersMB: number;
  /** Readings whose publishData promise is still pending (not durable yet). */
  readonly notDurable: number;
}
const MB = (n: number): number => Number((n / 2 ** 20).toFixed(1));
let peakRss = 0;
let peak: MemorySample | undefined;
/** Readings not durable yet (their publishData promise pending): what the store still holds in memory for them. */
let pending = 0;
let maxPending = 0;
const settledOne = (): void => void pending--;
let traced = 0;
const sample = (queued: number): void => {
  const m = process.memoryUsage();
  maxPending = Math.max(maxPending, pending);
  if (m.rss > peakRss) {
    peakRss = m.rss;
    const spaces = new Map(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]));
    peak = {
      rssMB: MB(m.rss),
      heapUsedMB: MB(m.heapUsed),
      heapTotalMB: MB(m.heapTotal),
      newSpaceMB: MB(spaces.get('new_space') ?? 0),
      oldSpaceMB: MB(spaces.get('old_space') ?? 0),
      externalMB: MB(m.external),
      arrayBuffersMB: MB(m.arrayBuffers),
      notDurable: pending,
    };
  }
  if (process.env['BENCH_TRACE_MEMORY'] && queued >= traced + 50_000) {
    traced = queued - (queued % 50_000);
    const spaces = new Map(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]));
    process.stderr.write(`${queued}: rss ${MB(m.rss)} heap ${MB(m.heapUsed)}/${MB(m.heapTotal)} (new ${MB(spaces.get('new_space') ?? 0)} old ${MB(spaces.get('old_space') ?? 0)}) external ${MB(m.external)} buffers ${MB(m.arrayBuffers)} MB; not durable yet ${pending}\n`);
  }
};
const publishOne = (i: number): void => {
  const s = i % subs.length;
  pending++;
  transport.publishData(subs[s]!, 'data', reading('drain', s, Math.floor(i / subs.length))).then(settledOne, settledOne);
};
await new Promise((resolve) => setTimeout(resolve, 200));
const baselineRssMB = MB(process.memoryUsage().rss);
gcSinceLast();
const started = process.hrtime.bigint();
if (rate > 0) {
  // A sustained rate a gateway meets: every 10 ms what is due by then.
  for (let i = 0; i < count; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const due = Math.min(count, Math.floor((Number(process.hrtime.bigint() - started) / 1e9) * rate));
    for (; i < due; i++) publishOne(i);
    sample(i);
  }
} else {
  // A burst: as fast as the store takes them.
  for (let i = 0; i < count; i++) {
    publishOne(i);
    if (i % 1000 === 999) {
      // Readings arrive over time in a gateway; give the store its turns to write.
      await new Promise((resolve) => setImmediate(resolve));
      sample(i + 1);
    }
  }
}
sample(count);
const queueSeconds = Number(process.hrtime.bigint() - started) / 1e9;
// What is live once the garbage is collected (the harness runs this with --expose-gc): the
// store's own share (the index is in arrayBuffers) against what V8 kept reserved for garbage.
await new Promise((resolve) => setTimeout(resolve, 1_200)); // the last sync interval
(globalThis as { gc?: () => void }).gc?.();
const settled = process.memoryUsage();
const afterGc = { rssMB: MB(settled.rss), heapUsedMB: MB(settled.heapUsed), heapTotalMB: MB(settled.heapTotal), arrayBuffersMB: MB(settled.arrayBuffers) };
say({ queued: transport.uplinkBacklog()?.depth, queueSeconds, peakRssMB: peakRss / 2 ** 20, baselineRssMB, atPeak: peak, afterGc, maxNotDurable: maxPending, storeMB: (transport.uplinkBacklog()?.bytes ?? 0) / 2 ** 20, gc: gcSinceLast() });

await nextLine(); // the hub is up
await connected;
// BENCH_ALLOCATIONS=file: a sampling profile of everything the drain allocates (collected or not).
// (Asking V8 for only what outlived the young generation, includeObjectsCollectedByMinorGC: false,
// changes nothing on Node 20: the profile is the same size.)
const allocations = process.env['BENCH_ALLOCATIONS'] ? new Session() : undefined;
if (allocations) {
  allocations.connect();
  await allocations.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const drainStart = process.hrtime.bigint();
gcSinceLast();
say({ drainStart: String(drainStart) });
await transport.online(subs, { timeoutMs: 60_000 });
while ((transport.uplinkBacklog()?.depth ?? 0) > 0) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
if (allocations) {
  const { profile } = await allocations.post('HeapProfiler.stopSampling');
  writeFileSync(process.env['BENCH_ALLOCATIONS'] ?? '', JSON.stringify(profile));
  allocations.disconnect();
}
say({ drained: true, drainSeconds: Number(process.hrtime.bigint() - drainStart) / 1e9, peakRssMB: peakRss / 2 ** 20, dropped: transport.uplinkBacklog()?.dropped, gc: gcSinceLast() });

// The online rate, same gateway: window 1000 across the same subdevices.
await nextLine();
const onlineCount = Math.min(count, 100_000);
const onlineStart = process.hrtime.bigint();
gcSinceLast();
say({ onlineStart: String(onlineStart) });
let next = 0;
let active = 0;
await new Promise<void>((resolve) => {
  const launch = (): void => {
    while (active < 1000 && next < onlineCount) {
      const i = next++;
      active++;
      const s = i % subs.length;
      void transport.publishData(subs[s]!, 'data', reading('online', s, Math.floor(i / subs.length))).then(() => {
        active--;
        if (next >= onlineCount && active === 0) resolve();
        else launch();
      });
    }
  };
  launch();
});
say({ onlineDone: String(process.hrtime.bigint()), gc: gcSinceLast() });
await transport.close();
process.exit(0);
