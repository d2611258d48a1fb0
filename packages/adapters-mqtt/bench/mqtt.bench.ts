/**
 * Uplink throughput through MqttHubTransport vs bare mqtt.js against the same aedes broker
 * (QoS 0 and QoS 1), and the time to bring N subdevices online. Writes
 * bench/results/mqtt-uplink.json and bench/results/mqtt-online.json at the repo root.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { subdeviceId, subdeviceKey } from '@iotgw/domain';
import { buildKeyAuth, dataTopic } from '@iotgw/protocol-tencent';
import { MqttHubTransport } from '../src/index.js';
import { TestBroker } from '../test/helpers/aedes-broker.js';
import { HubResponder } from '../test/helpers/hub-responder.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '../../../../bench/results');
const GW = subdeviceId('GWPRODUCT1', 'gw1');
// The bare client needs its own identity: one client id per connection, or the broker kicks one.
const BARE = subdeviceId('GWPRODUCT1', 'bare');
const SECRET = 'Z3dTZWNyZXRLZXkxMjM0NQ==';
const SUB = subdeviceId('SUBPRODAAA', 'bench');
const WINDOW = 500;
const ROUNDS = 3;
const N_QOS0 = Number(process.env['BENCH_N_QOS0'] ?? 100_000);
const N_QOS1 = Number(process.env['BENCH_N_QOS1'] ?? 50_000);
const N_ONLINE = Number(process.env['BENCH_N_ONLINE'] ?? 10_000);

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 2));
}

function runChild(port: number, count: number): Promise<{ ok: number; seconds: number; rssMB: number; heapUsedMB: number }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'online-rss.child.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', script, String(port), SECRET, String(count)], { timeout: 120_000 }, (error, stdout) => {
      if (error) reject(new Error(`bench child failed: ${error.message}`));
      else resolve(JSON.parse(stdout.trim()) as { ok: number; seconds: number; rssMB: number; heapUsedMB: number });
    });
  });
}

async function main(): Promise<void> {
  const broker = new TestBroker(
    new Map([
      [`${GW.productId}${GW.deviceName}`, SECRET],
      [`${BARE.productId}${BARE.deviceName}`, SECRET],
    ]),
  );
  await broker.start();
  let received = 0;
  const counted = (): number => broker.published.length;
  const payload = new TextEncoder().encode(JSON.stringify({ temperature: 21.5, humidity: 40, seq: 0 }));

  // Bare mqtt.js, same credentials and topic.
  const creds = buildKeyAuth({ ...BARE, deviceSecret: SECRET });
  const bare = await connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 4, clean: true, reconnectPeriod: 0, ...creds });
  const transport = new MqttHubTransport({ gateway: GW, auth: { mode: 'KEY', deviceSecret: SECRET }, host: '127.0.0.1', port: broker.port, tls: false });
  await transport.connect();
  // The hub side answers gateway operations: a subdevice's data may only be sent once it is online.
  const hub = new HubResponder(GW, broker.port);
  hub.bindAll = true;
  await hub.start();
  const [online] = await transport.online([SUB], { timeoutMs: 10_000 });
  if (!online?.ok) throw new Error(`bench setup: ${subdeviceKey(SUB)} did not go online`);
  const topic = dataTopic(SUB);
  // Like-for-like: a gateway following the protocol subscribes its online subdevice's data topic
  // (the adapter does so on online), so both contenders receive the hub's echo of every publish.
  await bare.subscribeAsync(topic, { qos: 0 });
  const buf = Buffer.from(payload);

  const measure = async (name: string, n: number, send: () => Promise<unknown>): Promise<number> => {
    broker.published.length = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i += WINDOW) {
      const batch: Array<Promise<unknown>> = [];
      for (let j = i; j < Math.min(n, i + WINDOW); j++) batch.push(send());
      await Promise.all(batch);
    }
    await waitFor(() => counted() >= n);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    received += counted();
    const rate = Math.round(n / seconds);
    console.log(`${name}: ${n} msgs in ${seconds.toFixed(2)} s = ${rate} msgs/s`);
    return rate;
  };

  const rows: Record<string, { adapter: number; bare: number; ratio: number; messages: number; rounds: number }> = {};
  for (const [qos, n] of [
    [0, N_QOS0],
    [1, N_QOS1],
  ] as const) {
    // Warm-up so JIT and socket buffers do not favour the second contender.
    await measure(`warm-up bare qos${qos}`, 1000, () => bare.publishAsync(topic, buf, { qos }));
    // Alternate the contenders and keep each one's best of ROUNDS: the machine is shared and noisy.
    let bareRate = 0;
    let adapterRate = 0;
    for (let round = 0; round < ROUNDS; round++) {
      bareRate = Math.max(bareRate, await measure(`bare mqtt.js qos${qos}`, n, () => bare.publishAsync(topic, buf, { qos })));
      adapterRate = Math.max(
        adapterRate,
        await measure(`MqttHubTransport qos${qos}`, n, () => transport.publishData(SUB, 'data', payload, { qos })),
      );
    }
    rows[`qos${qos}`] = { adapter: adapterRate, bare: bareRate, ratio: Number((adapterRate / bareRate).toFixed(3)), messages: n, rounds: ROUNDS };
  }
  await bare.endAsync(true);

  // Bringing N subdevices online: batched requests + per-subdevice subscriptions.
  const requestsBefore = hub.requests.length;
  const subs = Array.from({ length: N_ONLINE }, (_, i) => subdeviceId('SUBPRODAAA', `s${i}`));
  const started = process.hrtime.bigint();
  const results = await transport.online(subs, { timeoutMs: 60_000 });
  const onlineSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = results.filter((r) => r.ok).length;
  const requests = hub.requests.length - requestsBefore;
  console.log(`online: ${N_ONLINE} subdevices (${ok} ok) in ${onlineSeconds.toFixed(2)} s, ${requests} requests`);

  await transport.close();
  // The same again with the gateway alone in a child process, so its memory can be read apart.
  const child = await runChild(broker.port, N_ONLINE);
  console.log(`gateway alone in its process: ${child.ok} online in ${child.seconds} s, rss ${child.rssMB} MB, heap used ${child.heapUsedMB} MB`);
  await hub.stop();
  await broker.stop();
  await mkdir(RESULTS, { recursive: true });
  const meta = { node: process.version, broker: 'aedes 1.2 in-process, 127.0.0.1', date: new Date().toISOString(), window: WINDOW, payloadBytes: payload.byteLength };
  await writeFile(join(RESULTS, 'mqtt-uplink.json'), `${JSON.stringify({ ...meta, unit: 'msgs/s', ...rows }, null, 2)}\n`);
  await writeFile(
    join(RESULTS, 'mqtt-online.json'),
    `${JSON.stringify({ ...meta, subdevices: N_ONLINE, ok, seconds: Number(onlineSeconds.toFixed(3)), requests, batchSize: 50, gatewayProcess: { ...child, targetRssMB: 150 } }, null, 2)}\n`,
  );
  void received;
}

await main();
