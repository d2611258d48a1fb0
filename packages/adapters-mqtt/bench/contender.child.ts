/**
 * One contender of the uplink benchmark, alone in its process: bare mqtt.js or MqttHubTransport,
 * same topic, same payloads, both subscribed to the echo of their data topic at QoS 1 (as the
 * adapter is once its subdevice is online). Sends `count` readings keeping `window` in flight,
 * after a warm-up, and prints when it started, when every publish resolved and its CPU time.
 *
 * argv: port contender(bare|adapter) qos window count run
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectAsync } from 'mqtt';
import { subdeviceId } from '@iotgw/domain';
import { buildKeyAuth, dataTopic } from '@iotgw/protocol-tencent';
import { MqttHubTransport } from '../src/index.js';

const [portArg, contender, qosArg, windowArg, countArg, run] = process.argv.slice(2);
const port = Number(portArg);
const qos = Number(qosArg) as 0 | 1;
const count = Number(countArg);
const window = windowArg === 'all' ? count : Number(windowArg);
const SUB = subdeviceId('SUBPRODAAA', 'bench');
const topic = dataTopic(SUB);
const SECRET = 'Z3dTZWNyZXRLZXkxMjM0NQ==';

type Send = (payload: Buffer) => Promise<unknown>;
let send: Send;
let close: () => Promise<void>;
if (contender === 'bare') {
  const id = subdeviceId('GWPRODUCT1', 'bare');
  const client = await connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, clean: true, reconnectPeriod: 0, ...buildKeyAuth({ ...id, deviceSecret: SECRET }) });
  await client.subscribeAsync(topic, { qos: 1 });
  send = (payload) => client.publishAsync(topic, payload, { qos });
  close = () => client.endAsync(true);
} else {
  // As a gateway runs it: the offline store on disk (a fresh one per run).
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-bench-store-'));
  const transport = new MqttHubTransport({
    gateway: subdeviceId('GWPRODUCT1', 'gw1'),
    auth: { mode: 'KEY', deviceSecret: SECRET },
    host: '127.0.0.1',
    port,
    tls: false,
    offlineStore: { dir },
  });
  await transport.connect({ timeoutMs: 10_000 });
  const [online] = await transport.online([SUB], { timeoutMs: 10_000 });
  if (!online?.ok) throw new Error('the bench subdevice did not go online');
  send = (payload) => transport.publishData(SUB, 'data', payload, { qos });
  close = async () => {
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  };
}

const reading = (runId: string, n: number): Buffer =>
  Buffer.from(`{"temperature":21.5,"humidity":40,"r":"${runId}","s":"bench","n":${n},"t":"${process.hrtime.bigint()}"}`);

/** Sends `n` readings keeping at most `inFlight` unresolved; returns each publish's own latency (ms) for window 1. */
async function pump(runId: string, n: number, inFlight: number): Promise<number[]> {
  const own: number[] = [];
  let next = 0;
  let active = 0;
  await new Promise<void>((resolve, reject) => {
    const launch = (): void => {
      while (active < inFlight && next < n) {
        const i = next++;
        active++;
        const started = inFlight === 1 ? process.hrtime.bigint() : 0n;
        send(reading(runId, i)).then(() => {
          if (inFlight === 1) own.push(Number(process.hrtime.bigint() - started) / 1e6);
          active--;
          if (next >= n && active === 0) resolve();
          else launch();
        }, reject);
      }
    };
    launch();
  });
  return own;
}

await pump(`warm-${run}`, Math.min(2000, count), Math.min(window, 100));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const own = await pump(run ?? 'run', count, window);
const t1 = process.hrtime.bigint();
const cpu = process.cpuUsage(cpu0);
own.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ t0: String(t0), t1: String(t1), cpuSeconds: (cpu.user + cpu.system) / 1e6, ownP50: own[Math.floor(own.length / 2)] ?? null, rssMB: process.memoryUsage().rss / 2 ** 20 })}\n`,
);
await close();
process.exit(0);
