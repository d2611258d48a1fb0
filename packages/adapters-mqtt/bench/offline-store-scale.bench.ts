/**
 * The offline store at scale: 1,000,000 readings of 100 subdevices queued while the hub is down
 * (RSS of the gateway process while queuing), then drained once the hub is up: rate compared
 * with the same gateway's online uplink rate, in order per subdevice, none lost, duplicates
 * counted. mosquitto (defaults), the hub side and the gateway each in their own process.
 * Queued twice over: as a burst (as fast as the store takes them) and at a sustained rate a
 * gateway meets (BENCH_STORE_RATE, default 10,000 readings/s), with the memory picture at the peak.
 * Each run twice over: the gateway process with the heap the shipped service sets
 * (SERVICE_NODE_OPTIONS: the product as it runs) and with Node's defaults (sized from this machine's
 * memory), side by side in the same invocation.
 * Writes bench/results/offline-store-scale.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonChild } from './harness/json-child.js';
import { freePort, MosquittoBroker, SERVICE_NODE_OPTIONS, serviceNodeArgs } from '@iotgw/testkit/mosquitto';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, '../../../../bench/results');
const COUNT = Number(process.env['BENCH_STORE_COUNT'] ?? 1_000_000);
const SUBDEVICES = Number(process.env['BENCH_STORE_SUBDEVICES'] ?? 100);
const RUNS = Number(process.env['BENCH_STORE_RUNS'] ?? 2);
/** Readings/s while queuing for the sustained runs (a gateway's steady rate); 0 runs the burst only. */
const SUSTAINED_RATE = Number(process.env['BENCH_STORE_RATE'] ?? 10_000);

interface QueuedReport {
  queued: number;
  queueSeconds: number;
  peakRssMB: number;
  baselineRssMB: number;
  atPeak: Record<string, number>;
  afterGc: Record<string, number>;
  maxNotDurable: number;
  storeMB: number;
  gc: Record<string, number>;
}

type Heap = 'serviceHeap' | 'nodeDefaults';

async function once(rate: number, heap: Heap): Promise<Record<string, unknown>> {
  const uptimeAtStart = loadAverage();
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-scale-'));
  const port = await freePort();
  const gateway = new JsonChild(join(HERE, 'scale.child.js'), [String(port), String(COUNT), String(SUBDEVICES), join(dir, 'uplink'), String(rate)], {}, heap === 'serviceHeap' ? serviceNodeArgs() : []);
  const mosquitto = new MosquittoBroker({ port, extraConfig: 'max_queued_messages 0', stopSignal: 'SIGKILL' });
  let hub: JsonChild | undefined;
  try {
    const queued = await gateway.next<QueuedReport>((v) => (v as { queued?: number }).queued !== undefined);
    console.log(`${heap} ${rate > 0 ? `${rate} readings/s` : 'burst'}: queued ${queued.queued} readings in ${queued.queueSeconds.toFixed(1)} s, peak rss ${queued.peakRssMB.toFixed(0)} MB (at start ${queued.baselineRssMB} MB), store ${queued.storeMB.toFixed(0)} MB`);
    // Unlimited queue for QoS 1 subscribers: with mosquitto's default 1000, the counting subscriber
    // loses messages when it falls behind, which would be counted against the gateway.
    await mosquitto.start();
    hub = new JsonChild(join(HERE, 'harness/hub-side.child.js'), [String(port)]);
    await hub.next((v) => (v as { ready?: boolean }).ready === true, 30_000);
    hub.send({ cmd: 'expect', run: 'drain', count: COUNT, idleMs: 30_000 });
    gateway.send({ go: true });
    const { drainStart } = await gateway.next<{ drainStart: string }>((v) => typeof (v as { drainStart?: string }).drainStart === 'string');
    const drained = await gateway.next<{ drainSeconds: number; peakRssMB: number; dropped: Record<string, number>; gc: Record<string, number> }>((v) => (v as { drained?: boolean }).drained === true);
    const arrived = await hub.next<{ distinct: number; duplicates: number; reordered: number; last: string }>((v) => (v as { run?: string }).run === 'drain');
    const drainRate = arrived.distinct / (Number(BigInt(arrived.last) - BigInt(drainStart)) / 1e9);
    const onlineCount = Math.min(COUNT, 100_000);
    hub.send({ cmd: 'expect', run: 'online', count: onlineCount, idleMs: 30_000 });
    gateway.send({ go: true });
    const { onlineStart } = await gateway.next<{ onlineStart: string }>((v) => typeof (v as { onlineStart?: string }).onlineStart === 'string');
    const online = await hub.next<{ distinct: number; last: string }>((v) => (v as { run?: string }).run === 'online');
    const onlineDone = await gateway.next<{ gc: Record<string, number> }>((v) => typeof (v as { onlineDone?: string }).onlineDone === 'string');
    const onlineRate = online.distinct / (Number(BigInt(online.last) - BigInt(onlineStart)) / 1e9);
    const row = {
      queueRate: rate > 0 ? rate : 'burst',
      heap: heap === 'serviceHeap' ? `service: NODE_OPTIONS=${SERVICE_NODE_OPTIONS}` : 'node defaults',
      uptimeBefore: uptimeAtStart,
      queued: queued.queued,
      queueSeconds: Number(queued.queueSeconds.toFixed(2)),
      peakRssWhileQueuingMB: Number(queued.peakRssMB.toFixed(1)),
      rssBeforeQueuingMB: queued.baselineRssMB,
      // Where the bytes were at the peak: V8 heap (new/old space), typed arrays (the index), readings not durable yet.
      memoryAtQueuingPeak: { ...queued.atPeak, maxNotDurable: queued.maxNotDurable },
      // The same process once queued and after a full GC: what is live (the index is in arrayBuffers).
      memoryAfterQueuingAndGc: queued.afterGc,
      peakRssWhileDrainingMB: Number(drained.peakRssMB.toFixed(1)),
      storeMB: Number(queued.storeMB.toFixed(1)),
      delivered: arrived.distinct,
      lost: COUNT - arrived.distinct,
      duplicates: arrived.duplicates,
      reorderedPerSubdevice: arrived.reordered,
      droppedByStore: drained.dropped,
      drainMsgsPerSecond: Math.round(drainRate),
      onlineMsgsPerSecond: Math.round(onlineRate),
      drainToOnlineRatio: Number((drainRate / onlineRate).toFixed(3)),
      // V8's collections in the gateway per phase (count, total pause ms): the cost of a heap setting.
      gcInGateway: { queuing: queued.gc, draining: drained.gc, online: onlineDone.gc },
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await gateway.close();
    await hub?.close();
    await mosquitto.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The box is shared with other benches: each run says how busy it was. */
function loadAverage(): string {
  return loadavg().map((n) => n.toFixed(2)).join(' ');
}

/** Heaps to run (BENCH_STORE_HEAPS, default both), alternating so neither always runs first. */
const HEAPS = (process.env['BENCH_STORE_HEAPS'] ?? 'serviceHeap,nodeDefaults').split(',') as Heap[];
for (const heap of HEAPS) if (heap !== 'serviceHeap' && heap !== 'nodeDefaults') throw new Error(`BENCH_STORE_HEAPS: unknown heap "${String(heap)}" (serviceHeap, nodeDefaults)`);
const alternating = (i: number): Heap[] => (i % 2 === 0 ? HEAPS : [...HEAPS].reverse());
const runs: Array<Record<string, unknown>> = [];
for (let i = 0; i < RUNS; i++) for (const heap of alternating(i)) runs.push(await once(0, heap));
const sustained: Array<Record<string, unknown>> = [];
if (SUSTAINED_RATE > 0) for (let i = 0; i < RUNS; i++) for (const heap of alternating(i)) sustained.push(await once(SUSTAINED_RATE, heap));
await mkdir(RESULTS, { recursive: true });
await writeFile(
  join(RESULTS, 'offline-store-scale.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      readings: COUNT,
      subdevices: SUBDEVICES,
      serviceNodeOptions: SERVICE_NODE_OPTIONS,
      targets: { peakRssWhileQueuingMB: '< 150 (the product as shipped: service heap)', drainToOnlineRatio: '>= 0.9', lost: 0, reorderedPerSubdevice: 0 },
      setup: 'mosquitto 2 (defaults except max_queued_messages 0, so the counting subscriber is never dropped), hub side and gateway each in their own process; store on disk (tmpdir), default bounds; online rate: the same gateway, window 1000, same subdevices',
      runs,
      sustainedRate: SUSTAINED_RATE,
      sustained,
    },
    null,
    2,
  )}\n`,
);
