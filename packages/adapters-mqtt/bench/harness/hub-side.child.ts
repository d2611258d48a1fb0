/**
 * The hub's side of the uplink benchmarks, alone in its process: answers every gateway operation
 * with success (as a hub where everything is bound) and counts the readings that arrive, per run:
 * distinct readings, duplicates (QoS 1 is at-least-once), reorderings per subdevice, and the
 * latency from the send time carried in each reading (process.hrtime is CLOCK_MONOTONIC, shared
 * by every process on the machine). Driven by JSON lines on stdin.
 */
import { createInterface } from 'node:readline';
import { connectAsync } from 'mqtt';
import { untilCountOrIdle } from '@iotgw/testkit/mosquitto';
import { decodeGatewayRequest, encodeGatewayReply, gatewayOperationResultTopic, parseTopic } from '@iotgw/protocol-tencent';

interface Run {
  distinct: number;
  duplicates: number;
  reordered: number;
  first: bigint;
  last: bigint;
  latencies: number[];
  readonly subs: Map<string, { max: number; seen: Set<number> }>;
}

const port = Number(process.argv[2]);
const client = await connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, clientId: `bench-hub-${process.pid}`, clean: true, reconnectPeriod: 0 });
const runs = new Map<string, Run>();
const runOf = (id: string): Run => {
  let run = runs.get(id);
  if (!run) runs.set(id, (run = { distinct: 0, duplicates: 0, reordered: 0, first: 0n, last: 0n, latencies: [], subs: new Map() }));
  return run;
};

client.on('message', (topic, payload) => {
  const parsed = parseTopic(topic);
  if (parsed?.kind === 'gateway-operation') {
    const request = decodeGatewayRequest(payload);
    if (!request.ok) return;
    const r = request.value;
    if (r.type === 'describe_sub_devices' || r.type === 'change' || r.type === 'unbind_all' || r.type === 'search_devices') return;
    const devices = r.devices.map((entry) => ({ subdevice: 'signature' in entry ? entry.subdevice : entry, result: 0 }));
    client.publish(gatewayOperationResultTopic(parsed.device), encodeGatewayReply({ type: r.type, devices }), { qos: 0 });
    return;
  }
  if (parsed?.kind !== 'data') return;
  const now = process.hrtime.bigint();
  let reading: { r?: string; s?: string; n?: number; t?: string };
  try {
    reading = JSON.parse(payload.toString()) as typeof reading;
  } catch {
    return;
  }
  if (typeof reading.r !== 'string' || typeof reading.n !== 'number') return;
  const run = runOf(reading.r);
  const key = reading.s ?? '';
  let sub = run.subs.get(key);
  if (!sub) run.subs.set(key, (sub = { max: -1, seen: new Set() }));
  if (sub.seen.has(reading.n)) {
    run.duplicates++;
    return;
  }
  sub.seen.add(reading.n);
  if (reading.n < sub.max) run.reordered++;
  sub.max = Math.max(sub.max, reading.n);
  if (run.distinct++ === 0) run.first = now;
  run.last = now;
  if (reading.t && run.latencies.length < 200_000) run.latencies.push(Number(now - BigInt(reading.t)) / 1e6);
});
await client.subscribeAsync({ '$gateway/operation/+/+': { qos: 0 }, '+/+/data': { qos: 1 } });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

/** Answers once `count` distinct readings of `run` arrived, or nothing new came for `idleMs`. */
async function expect(id: string, count: number, idleMs: number): Promise<void> {
  await untilCountOrIdle(() => runOf(id).distinct, count, idleMs, 5);
  const run = runOf(id);
  const latencies = run.latencies.sort((a, b) => a - b);
  const orderedPerSubdevice = run.reordered === 0;
  process.stdout.write(
    `${JSON.stringify({ run: id, distinct: run.distinct, duplicates: run.duplicates, reordered: run.reordered, orderedPerSubdevice, first: String(run.first), last: String(run.last), latencies })}\n`,
  );
  runs.delete(id);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; run: string; count: number; idleMs?: number };
  if (command.cmd === 'expect') void expect(command.run, command.count, command.idleMs ?? 15_000);
});
process.stdin.on('end', () => void client.endAsync(true).then(() => process.exit(0)));
