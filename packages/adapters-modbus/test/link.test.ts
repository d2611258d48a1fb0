import test from 'ava';
import { LinkError, ValidationError, subdeviceId } from '@iotgw/domain';
import { memoryFirmwareImage, patternBytes } from '@iotgw/testkit';
import { createModbusLink } from '../src/index.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PymodbusServer, pymodbusTestsEnabled, type RegisterMap } from './helpers/pymodbus-server.js';

const maybe = pymodbusTestsEnabled() ? test.serial : test.serial.skip;

const model = {
  model: 'thermo',
  points: [
    { name: 'temperature', function: 'inputRegister', address: 0, type: 'int16', scale: 0.1, deadband: 0.5 },
    { name: 'setpoint', function: 'holdingRegister', address: 0, type: 'int16', scale: 0.1, writable: true, min: 5, max: 35 },
  ],
};
const map: RegisterMap = { 1: { ir: { 0: 215 }, hr: { 0: 200 } }, 2: { ir: { 0: 180 }, hr: { 0: 190 } } };
const A = subdeviceId('MODBUS0004', 'a');
const B = subdeviceId('MODBUS0004', 'b');

async function tcpLink(t: { teardown(fn: () => Promise<void> | void): void }, extra: Record<string, unknown> = {}, unitExtra: Record<string, unknown> = {}) {
  const server = await PymodbusServer.start({ tcp: true }, map);
  t.teardown(() => server.stop());
  const link = await createModbusLink({
    tcp: { host: '127.0.0.1', port: server.port },
    units: [
      { id: 'MODBUS0004/a', unit: 1, model, pollIntervalMs: 50, ...unitExtra },
      { id: 'MODBUS0004/b', unit: 2, model, pollIntervalMs: 50 },
    ],
    ...extra,
  });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  return { server, link, watch };
}

maybe('link: capabilities say no firmware; deliverFirmware rejects at once with a LinkError that says why', async (t) => {
  const { link, watch } = await tcpLink(t);
  t.deepEqual(link.capabilities, { maxPayloadSize: 4096, isReliable: true, supportsFirmware: false });
  t.deepEqual(link.subdevices(), [A, B]);
  await link.start();
  await watch.readingCount('MODBUS0004/a', 1);
  // "At once": settled within one turn of the event loop, so nothing went to the bus and back
  // (a wall-clock bound of 50 ms was missed on a loaded CI box).
  let settled = false;
  const delivery = link.deliverFirmware(A, memoryFirmwareImage(patternBytes(64), '2.0.0'));
  void delivery.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.true(settled, 'at once');
  const error = await t.throwsAsync(delivery, { instanceOf: LinkError });
  t.is(error?.code, 'link.unavailable');
  t.regex(error.message, /MODBUS0004\/a is on Modbus link modbus-tcp:127\.0\.0\.1:\d+: Modbus has no standard firmware transfer/);
});

maybe('link: send to a unit not attached rejects link.unknown_subdevice; too large a command rejects ValidationError', async (t) => {
  const { link, server, watch } = await tcpLink(t, { requestTimeoutMs: 200, offlineAfterFailures: 1 });
  await server.mute(2);
  await link.start();
  await watch.readingCount('MODBUS0004/a', 1);
  const offline = await t.throwsAsync(link.send(B, new TextEncoder().encode('{"set":{"setpoint":20}}')), { instanceOf: LinkError });
  t.is(offline?.code, 'link.unknown_subdevice');
  t.regex(offline.message, /not answering \(offline\)/);
  const stranger = await t.throwsAsync(link.send(subdeviceId('MODBUS0004', 'zzz'), new Uint8Array(2)), { instanceOf: LinkError });
  t.regex(stranger.message, /not one of its units/);
  await t.throwsAsync(link.send(A, new Uint8Array(4097)), { instanceOf: ValidationError });
});

maybe('link: readings go up on data (no channel named); a command on another channel rejects link.unavailable and writes nothing', async (t) => {
  const { link, watch } = await tcpLink(t);
  const channels: Array<string | undefined> = [];
  link.on('data', (d) => channels.push(d.channel));
  await link.start();
  await watch.readingCount('MODBUS0004/a', 1);
  t.true(channels.length > 0 && channels.every((c) => c === undefined), 'readings name no channel: they are published on data');
  const error = await t.throwsAsync(link.send(A, new TextEncoder().encode('{"set":{"setpoint":20}}'), { channel: 'control' }), { instanceOf: LinkError });
  t.is(error?.code, 'link.unavailable');
  t.regex(error.message, /Modbus unit: it takes commands on channel "data" only, not "control"/);
});

maybe('link: stop detaches every attached unit (stopped), closes the bus and is idempotent; start again works', async (t) => {
  const { link, watch } = await tcpLink(t);
  await link.start();
  await watch.until(() => watch.attached.length, (n) => n === 2, 'both attached');
  await link.stop();
  t.deepEqual(watch.detached.map((d) => [d.key, d.reason]).sort(), [['MODBUS0004/a', 'stopped'], ['MODBUS0004/b', 'stopped']]);
  t.deepEqual(link.attachedSubdevices(), []);
  t.false(link.metrics().open);
  await link.stop();
  t.is(watch.detached.length, 2);
  const readings = watch.readings('MODBUS0004/a').length;
  await new Promise((r) => setTimeout(r, 200));
  t.is(watch.readings('MODBUS0004/a').length, readings, 'no polling after stop');
  await link.start();
  await watch.until(() => watch.attached.length, (n) => n === 4, 'attached again after a new start');
});

maybe('link: report-on-change sends a reading only when a point moved beyond its deadband', async (t) => {
  const { link, server, watch } = await tcpLink(t, { reportOnChange: true });
  await link.start();
  await watch.readingCount('MODBUS0004/a', 1);
  await new Promise((r) => setTimeout(r, 500)); // ~10 polls, nothing changes
  t.is(watch.readings('MODBUS0004/a').length, 1);
  await server.set(1, 'ir', 0, [219]); // +0.4: inside the deadband
  await new Promise((r) => setTimeout(r, 300));
  t.is(watch.readings('MODBUS0004/a').length, 1);
  await server.set(1, 'ir', 0, [221]); // +0.6 from the last reported 21.5
  const next = await watch.nextReading('MODBUS0004/a');
  t.deepEqual(next, { temperature: 22.1, setpoint: 20 });
  const m = link.metrics();
  t.true(m.readingsUnchanged >= 10, `${m.readingsUnchanged} unchanged readings not sent`);
});

maybe('link: the minimum report interval limits readings per unit; the latest one wins', async (t) => {
  const { link, server, watch } = await tcpLink(t, {}, { minReportIntervalMs: 400 });
  await link.start();
  await watch.readingCount('MODBUS0004/a', 1);
  const from = performance.now();
  await server.set(1, 'ir', 0, [300]);
  await new Promise((r) => setTimeout(r, 2000));
  const a = watch.readings('MODBUS0004/a').filter((r) => r.at >= from);
  const b = watch.readings('MODBUS0004/b').filter((r) => r.at >= from);
  t.log(`in 2 s: unit a (min 400 ms) ${a.length} readings, unit b (none) ${b.length}`);
  t.true(a.length >= 3 && a.length <= 6, `${a.length} readings`);
  t.true(b.length > 2 * a.length);
  for (let i = 1; i < a.length; i++) t.true(a[i]!.at - a[i - 1]!.at >= 350, 'spaced by the interval');
  t.deepEqual(a.at(-1)!.value, { temperature: 30, setpoint: 20 });
  t.true(link.metrics().readingsCoalesced > 0);
});

maybe('link: metrics of the bus', async (t) => {
  const { link, watch } = await tcpLink(t);
  t.is(link.metrics().responseTimeMs, null, 'no answer yet');
  await link.start();
  await watch.readingCount('MODBUS0004/b', 5);
  const m = link.metrics();
  const rt = m.responseTimeMs;
  t.truthy(rt);
  t.true(rt!.p50 > 0 && rt!.p50 <= rt!.p99 && rt!.p99 <= rt!.max && rt!.mean > 0 && rt!.mean <= rt!.max, JSON.stringify(rt));
  t.true(Math.abs(m.answeredMs / (m.responses + m.exceptions) - rt!.mean) < 0.01, 'answeredMs sums what the mean is taken over (fewer than 1024 answers here)');
  t.like(m, { open: true, timeouts: 0, crcErrors: 0, unitsAttached: 2, unitsDown: 0 });
  // Every request answered, but the snapshot may fall while the next one is on the wire (one at most).
  t.true(m.requests >= 10 && m.responses <= m.requests && m.requests <= m.responses + 1, `${m.requests} requests, ${m.responses} responses`);
  t.true(m.pollCycles >= 8);
  t.true(m.readings >= 10);
  t.true(m.pollCycleLagMs.max >= m.pollCycleLagMs.mean && m.pollCycleLagMs.mean >= 0);
  t.true(m.queueDepth >= 0 && m.queueDepth <= 4);
  t.regex(m.link, /^modbus-tcp:/);
});
