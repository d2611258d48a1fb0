/**
 * The hub's side of the end-to-end latency bench, alone in its process: a subscriber on `+/+/#`
 * at QoS 1 on the broker the hub emulator runs on, timestamping each reading as it arrives with
 * process.hrtime (CLOCK_MONOTONIC, the clock the subdevices stamped it with). Counts distinct
 * readings per run and duplicates (QoS 1 is at-least-once). Driven by JSON lines on stdin:
 * `{"cmd":"expect","run":r,"count":n,"idleMs":ms}` answers once n distinct readings of run r
 * arrived, or nothing new came for idleMs.
 *
 * argv: brokerPort
 */
import { createInterface } from 'node:readline';
import { connectAsync } from 'mqtt';
import { untilCountOrIdle } from '@iotgw/testkit/mosquitto';

interface Run {
  readonly seen: Set<string>;
  duplicates: number;
  readonly latencies: number[];
}

const port = Number(process.argv[2]);
const client = await connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, clientId: `bench-subscriber-${process.pid}`, clean: true, reconnectPeriod: 0 });
const runs = new Map<string, Run>();
const runOf = (id: string): Run => {
  let run = runs.get(id);
  if (!run) runs.set(id, (run = { seen: new Set(), duplicates: 0, latencies: [] }));
  return run;
};

client.on('message', (_topic, payload) => {
  const now = process.hrtime.bigint();
  let reading: { r?: unknown; s?: unknown; n?: unknown; t?: unknown };
  try {
    reading = JSON.parse(payload.toString()) as typeof reading;
  } catch {
    return;
  }
  if (typeof reading.r !== 'string' || typeof reading.s !== 'string' || typeof reading.n !== 'number' || typeof reading.t !== 'string') return;
  const run = runOf(reading.r);
  const key = `${reading.s}#${reading.n}`;
  if (run.seen.has(key)) {
    run.duplicates++;
    return;
  }
  run.seen.add(key);
  run.latencies.push(Number(now - BigInt(reading.t)) / 1e6);
});
await client.subscribeAsync('+/+/#', { qos: 1 });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

async function expect(id: string, count: number, idleMs: number): Promise<void> {
  await untilCountOrIdle(() => runOf(id).seen.size, count, idleMs, 20);
  const run = runOf(id);
  process.stdout.write(`${JSON.stringify({ run: id, distinct: run.seen.size, duplicates: run.duplicates, latencies: run.latencies.sort((a, b) => a - b) })}\n`);
  runs.delete(id);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; run: string; count: number; idleMs?: number };
  if (command.cmd === 'expect') void expect(command.run, command.count, command.idleMs ?? 10_000);
});
process.stdin.on('end', () => void client.endAsync(true).then(() => process.exit(0)));
