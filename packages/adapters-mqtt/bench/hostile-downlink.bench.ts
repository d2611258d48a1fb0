/**
 * What a flood of garbage from the hub costs the gateway's message path, alone: 100k generated
 * messages (truncated and invalid JSON, JSON of the wrong shape, right keys with wrong types,
 * empty, binary) on the topics the gateway subscribes (40 % its operation result topic, 30 % OTA
 * update, 30 % data), fed straight into the transport's message handler (topic parse, decoders,
 * malformed-message accounting, events) in this process, no broker. Reports CPU µs per message
 * (user + system of this process) over several rounds; the machine is shared, so the range is kept.
 * Writes bench/results/mqtt-hostile-downlink.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger, SystemClock, ThrottledLog, TypedEmitter, type HubTransportEvents } from '@iotgw/domain';
import { dataTopic, gatewayOperationResultTopic, otaUpdateTopic } from '@iotgw/protocol-tencent';
import { DownlinkRouter } from '../src/downlink-router.js';
import { EchoFilter } from '../src/echo-filter.js';
import { GatewayOperations } from '../src/gateway-operations.js';
import { OnlineGate } from '../src/online-gate.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, '../../../../bench/results');
const N = Number(process.env['BENCH_N'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

const GATEWAY = { productId: 'GWPRODUCT1', deviceName: 'gw1' };
const SUBS = [
  { productId: 'SUBPRODAAA', deviceName: 'sensor1' },
  { productId: 'SUBPRODAAA', deviceName: 'sensor2' },
];

/** A seeded generator (LCG): the same flood every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

function garbage(count: number, seed: number): Array<{ topic: string; payload: Buffer }> {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const text = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('');
  const replyish = (): unknown => ({
    type: pick(['online', 'offline', 'bind', 'unbind', 'describe_sub_devices', 'change', 42, null]),
    payload: pick([{ devices: [{ product_id: 'SUBPRODAAA', device_name: pick(['sensor1', '', 7]), result: pick([0, '0', 'x']) }] }, 'x', 7, { status: '1' }, {}]),
  });
  const otaish = (): unknown => ({
    type: pick(['update_firmware', 'report_version_rsp', 'burn', 3]),
    version: pick(['2.0.0', '../../etc/passwd', '', text(8)]),
    url: pick(['http://127.0.0.1:1/fw.bin', 'ftp://x', 'not a url']),
    md5sum: pick(['0123456789abcdef0123456789abcdeg', 'zz']),
    file_size: pick([0, -1, 'many', 1.5]),
    result_code: pick(['x', 1.5]),
  });
  const out: Array<{ topic: string; payload: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    const slot = i % 10;
    const sub = SUBS[i % SUBS.length]!;
    const topic = slot < 4 ? gatewayOperationResultTopic(GATEWAY) : slot < 7 ? otaUpdateTopic(sub) : dataTopic(sub, 'data');
    const shaped = slot < 4 ? replyish : otaish;
    const kind = r();
    let payload: Buffer;
    if (kind < 0.15) payload = Buffer.from(JSON.stringify(shaped()).slice(0, -1)); // truncated
    else if (kind < 0.27) payload = Buffer.from(text(Math.floor(r() * 200))); // text
    else if (kind < 0.55) payload = Buffer.from(JSON.stringify(shaped())); // right keys, wrong types
    else if (kind < 0.72) payload = Buffer.from(JSON.stringify(pick([[1, 2], 'x', 42, null, { a: { b: [text(5)] } }, true]))); // any JSON
    else if (kind < 0.81) payload = Buffer.alloc(0);
    else payload = Buffer.from(Array.from({ length: Math.floor(r() * 2048) }, () => Math.floor(r() * 256))); // binary
    out.push({ topic, payload });
  }
  return out;
}

function makeRouter(): DownlinkRouter {
  const clock = new SystemClock();
  const events = new TypedEmitter<HubTransportEvents>();
  // The application's listeners, as the gateway has them (they do nothing with garbage).
  events.on('error', () => undefined);
  events.on('downlink', () => undefined);
  events.on('firmwareUpdateRefused', () => undefined);
  const gate = new OnlineGate(GATEWAY, () => ['data'], () => undefined);
  const operations = new GatewayOperations(GATEWAY, () => { throw new Error('no client in this bench'); }, gate, { timeoutMs: 10_000, batchSize: 50, clock });
  return new DownlinkRouter(events, operations, gate, new EchoFilter(), new ThrottledLog(silentLogger, clock), silentLogger, () => undefined, () => clock.now());
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const messages = garbage(N, 0x11);
const perMessage: number[] = [];
for (let round = 0; round < ROUNDS + 1; round++) {
  const router = makeRouter();
  const before = cpuMicros();
  for (const m of messages) router.route(m.topic, m.payload, 0);
  const us = (cpuMicros() - before) / messages.length;
  if (round > 0) perMessage.push(Number(us.toFixed(2))); // the first round warms the JIT up
}
const result = {
  bench: 'mqtt-hostile-downlink',
  at: new Date().toISOString(),
  node: process.version,
  messages: N,
  usPerMessage: perMessage,
  min: Math.min(...perMessage),
  max: Math.max(...perMessage),
};
console.log(`hostile downlink: ${N} garbage messages through the message handler, ${result.min}-${result.max} µs CPU each (${ROUNDS} rounds)`);
await mkdir(RESULTS, { recursive: true });
await writeFile(join(RESULTS, 'mqtt-hostile-downlink.json'), `${JSON.stringify(result, null, 2)}\n`);
