/**
 * End to end: a reading entering a pty as a link frame, to the hub's subscriber. Each in its own
 * process: mosquitto (defaults), the hub emulator on it (`iotgw hub --broker`, answers the
 * gateway's operations), a subscriber on `+/+/#` at QoS 1 that timestamps each reading's arrival,
 * the real `iotgw start` with serial links on socat ptys, and the simulated subdevices on the
 * other ends of the ptys. Latency = arrival − the send time each reading carries (CLOCK_MONOTONIC,
 * one clock for every process on the machine). Cases: 1, 100 and 1000 subdevices sending, each
 * at a modest rate, on multi-drop buses of at most 250 subdevices each.
 * Writes bench/results/e2e-latency.json at the repo root.
 *
 * Environment: IOTGW_BENCH_E2E_CASES (default "1,100,1000"), IOTGW_BENCH_E2E_SECONDS (default 15).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSecondsOf, freePort, JsonChild, MosquittoBroker, percentile } from '@iotgw/testkit/mosquitto';
import { CliChild } from './cli-child.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, '../../../../bench/results');
const IOTGW = join(HERE, '../src/bin/iotgw.js');
const CASES = (process.env['IOTGW_BENCH_E2E_CASES'] ?? '1,100,1000').split(',').map(Number);
const SECONDS = Number(process.env['IOTGW_BENCH_E2E_SECONDS'] ?? 15);
/** Readings per second per subdevice: the total stays modest (100, 1000, 1000 readings/s). */
const RATE: Record<number, number> = { 1: 100, 100: 10, 1000: 1 };
/** Subdevices per serial link: a bus has addresses 1..254; 250 keeps the split even. */
const PER_LINK_MAX = 250;
const GATEWAY = { productId: 'GWBENCH001', deviceName: 'gw1' };
const PRODUCT = 'SBBENCH001';
const secret = (name: string): string => Buffer.from(`bench-${name}-secret`).toString('base64');

const ms = (v: number): number => Number(v.toFixed(2));

async function cpuOf(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = (await cpuSecondsOf(pid)) ?? Number.NaN;
  return out;
}

async function once(subdevices: number): Promise<Record<string, unknown>> {
  const rate = RATE[subdevices] ?? 1;
  const links = Math.ceil(subdevices / PER_LINK_MAX);
  const perLink = subdevices / links;
  if (!Number.isInteger(perLink)) throw new Error(`${subdevices} subdevices do not split evenly over ${links} links`);
  const names = Array.from({ length: links }, (_, l) => Array.from({ length: perLink }, (_, a) => `l${l}a${a + 1}`));
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-e2e-bench-'));
  const port = await freePort();
  const mosquitto = new MosquittoBroker({ port, stopSignal: 'SIGKILL' });
  const stops: Array<() => Promise<void>> = [() => mosquitto.dispose()];
  try {
    await mosquitto.start();
    await writeFile(
      join(dir, 'registry.json'),
      JSON.stringify({
        devices: [{ ...GATEWAY, deviceSecret: secret('gw1'), gateway: true }, ...names.flat().map((deviceName) => ({ productId: PRODUCT, deviceName, deviceSecret: secret(deviceName) }))],
        bindings: names.flat().map((name) => ({ gateway: `${GATEWAY.productId}/${GATEWAY.deviceName}`, subdevice: `${PRODUCT}/${name}` })),
      }),
    );
    const hub = new CliChild([IOTGW, 'hub', '--broker', `mqtt://127.0.0.1:${port}`, '--registry', join(dir, 'registry.json'), '--http-port', '0']);
    stops.unshift(() => hub.stop());
    await hub.waitFor(/hub emulator ready/);
    const subscriber = new JsonChild(join(HERE, 'subscriber.child.js'), [String(port)], { closeGraceMs: 10_000 });
    stops.unshift(() => subscriber.close());
    await subscriber.next((v) => (v as { ready?: boolean }).ready === true, 30_000);
    const sims = new JsonChild(join(HERE, 'subdevices.child.js'), [dir, String(links), String(perLink), PRODUCT], { closeGraceMs: 10_000 });
    stops.unshift(() => sims.close());
    const { paths } = await sims.next<{ paths: string[] }>((v) => Array.isArray((v as { paths?: unknown }).paths), 60_000);

    await writeFile(
      join(dir, 'device_info.json'),
      JSON.stringify({
        auth_mode: 'KEY',
        ...GATEWAY,
        key_deviceinfo: { deviceSecret: secret('gw1') },
        subDev: { subdev_num: subdevices, subdev_list: names.flat().map((name) => ({ sub_productId: PRODUCT, sub_devName: name })) },
      }),
    );
    await writeFile(
      join(dir, 'iotgw.json'),
      JSON.stringify({
        hub: { host: '127.0.0.1', port, tls: false },
        control: { port: 0 },
        links: paths.map((path, l) => ({
          adapter: 'serial',
          name: `serial:bus${l}`,
          path,
          baudRate: 115200,
          crc: 'crc32c',
          subdevices: names[l]!.map((name, a) => ({ id: `${PRODUCT}/${name}`, address: a + 1 })),
        })),
        dataDir: join(dir, 'data'),
        logLevel: 'warn',
      }),
    );
    const gateway = new CliChild([IOTGW, 'start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')]);
    stops.unshift(() => gateway.stop());
    await gateway.waitFor(/ running with \d+ link\(s\)/);

    // Online: every subdevice attached on its bus, and one reading of each through to the hub
    // (so the measured run starts with every subdevice online at the hub, none held back).
    const attachStart = Date.now();
    sims.send({ cmd: 'power' });
    await sims.next((v) => (v as { connected?: number }).connected !== undefined, 300_000);
    subscriber.send({ cmd: 'expect', run: 'warm', count: subdevices, idleMs: 30_000 });
    sims.send({ cmd: 'send', run: 'warm', ratePerSecond: 1, seconds: 1 });
    await sims.next((v) => (v as { sent?: number }).sent !== undefined, 120_000);
    const warm = await subscriber.next<{ distinct: number }>((v) => (v as { run?: string }).run === 'warm', 300_000);
    const onlineSeconds = (Date.now() - attachStart) / 1000;
    if (warm.distinct < subdevices) throw new Error(`only ${warm.distinct} of ${subdevices} subdevices got a reading through before the run:\n${gateway.output.slice(-3000)}`);
    console.log(`${subdevices} subdevice(s) on ${links} link(s) online in ${onlineSeconds.toFixed(1)} s; sending ${rate}/s each for ${SECONDS} s`);

    const expected = subdevices * Math.round(SECONDS * rate);
    // CPU each process spent over the run: which one a slow run was short of.
    const processes = { gateway: gateway.pid, subdevices: sims.pid, hubEmulator: hub.pid, subscriber: subscriber.pid };
    const cpuBefore = await cpuOf(processes);
    subscriber.send({ cmd: 'expect', run: 'run', count: expected, idleMs: 15_000 });
    sims.send({ cmd: 'send', run: 'run', ratePerSecond: rate, seconds: SECONDS });
    const sent = await sims.next<{ sent: number; failed: number }>((v) => (v as { sent?: number }).sent !== undefined, (SECONDS + 120) * 1000);
    const arrived = await subscriber.next<{ distinct: number; duplicates: number; latencies: number[] }>((v) => (v as { run?: string }).run === 'run', 300_000);
    const cpuAfter = await cpuOf(processes);
    const l = arrived.latencies;
    const row = {
      subdevices,
      links,
      subdevicesPerLink: perLink,
      readingsPerSecondPerSubdevice: rate,
      readingsPerSecondTotal: rate * subdevices,
      seconds: SECONDS,
      onlineSeconds: Number(onlineSeconds.toFixed(1)),
      sent: sent.sent,
      unacknowledgedOnLink: sent.failed,
      delivered: arrived.distinct,
      lost: sent.sent - arrived.distinct,
      duplicates: arrived.duplicates,
      p50Ms: ms(percentile(l, 50)),
      p99Ms: ms(percentile(l, 99)),
      maxMs: ms(l[l.length - 1] ?? Number.NaN),
      cpuSecondsDuringRun: Object.fromEntries(Object.entries(cpuAfter).map(([name, after]) => [name, Number((after - (cpuBefore[name] ?? 0)).toFixed(2))])),
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

const loadAtStart = loadavg().map((v) => Number(v.toFixed(2)));
const cases: Array<Record<string, unknown>> = [];
for (const n of CASES) cases.push(await once(n));
await mkdir(RESULTS, { recursive: true });
await writeFile(
  join(RESULTS, 'e2e-latency.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      loadAverageAtStart: loadAtStart,
      setup:
        'each in its own process: mosquitto 2 (defaults); the hub emulator on it (iotgw hub --broker); a subscriber on +/+/# at QoS 1 timestamping arrivals; iotgw start (serial links on socat ptys, logLevel warn, default config otherwise); the simulated subdevices (link protocol, reliable DATA) on the other pty ends. Latency = arrival at the subscriber - the CLOCK_MONOTONIC time stamped in the reading just before its frame was written to the pty.',
      cases,
    },
    null,
    2,
  )}\n`,
);
