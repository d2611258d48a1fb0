import test from 'ava';
import { createModbusLink } from '../src/index.js';
import { CorruptingRelay } from './helpers/corrupting-relay.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PymodbusServer, pymodbusTestsEnabled } from './helpers/pymodbus-server.js';
import { PtyCable } from './helpers/socat-pty.js';

const maybe = pymodbusTestsEnabled() ? test.serial : test.serial.skip;

const model = { model: 'four', points: Array.from({ length: 4 }, (_, i) => ({ name: `r${i}`, function: 'holdingRegister', address: i })) };
const map = { 1: { hr: { 0: 10, 1: 11, 2: 12, 3: 13 } }, 2: { hr: { 0: 20, 1: 21, 2: 22, 3: 23 } } };

async function noisyLine(t: { teardown(fn: () => Promise<void>): void }, corrupt: (response: Buffer, index: number) => boolean, rtuExtra: Record<string, unknown> = {}) {
  const gatewaySide = await PtyCable.create();
  t.teardown(() => gatewaySide.dispose());
  const deviceSide = await PtyCable.create();
  t.teardown(() => deviceSide.dispose());
  const server = await PymodbusServer.start({ rtu: deviceSide.device }, map);
  t.teardown(() => server.stop());
  const relay = await CorruptingRelay.start(gatewaySide.device, deviceSide.gateway, corrupt);
  t.teardown(() => relay.stop());
  const units = [1, 2].map((u) => ({ id: `MODBUS0001/unit${u}`, unit: u, model, pollIntervalMs: 50 }));
  // A generous request timeout: these tests count CRC errors and assert no timeouts, and under a
  // loaded CI box pymodbus behind the relay once took over 300 ms to answer (1 timeout, red run).
  const link = await createModbusLink({ rtu: { path: gatewaySide.gateway, baudRate: 115200, ...rtuExtra }, units, requestTimeoutMs: 3000, crcRetries: 2, offlineAfterFailures: 2, retry: { initialDelayMs: 200 } });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  await link.start();
  return { link, watch, relay };
}

maybe('RTU over a noisy line: responses with a bad CRC are asked again at once, counted, and never become readings', async (t) => {
  const { link, watch, relay } = await noisyLine(t, (_response, index) => index % 3 === 2);
  await watch.readingCount('MODBUS0001/unit1', 30);
  await watch.readingCount('MODBUS0001/unit2', 30);
  const m = link.metrics();
  t.log(`relay corrupted ${relay.corrupted} of ${relay.responses} responses; link counted ${m.crcErrors} CRC errors, ${m.retries} retries, ${m.timeouts} timeouts`);
  t.true(relay.corrupted >= 20);
  t.true(m.crcErrors >= relay.corrupted - 1, 'every corrupted response seen as a CRC error (the last may be in flight)');
  t.is(m.retries, m.crcErrors, 'each asked again (a retry is never corrupted twice in a row here)');
  t.is(m.timeouts, 0);
  for (const [key, base] of [['MODBUS0001/unit1', 10], ['MODBUS0001/unit2', 20]] as const) {
    for (const r of watch.readings(key)) t.deepEqual(r.value, { r0: base, r1: base + 1, r2: base + 2, r3: base + 3 });
  }
  t.deepEqual(watch.detached, [], 'a noisy line is not a lost unit');
});

maybe('RTU over a noisy line: a unit whose every answer is corrupted fails after its retries and goes offline; the other unit carries on', async (t) => {
  let noisy = false;
  const { link, watch } = await noisyLine(t, (response) => noisy && response[0] === 2);
  await watch.until(() => watch.attached.length, (n) => n === 2, 'both attached');
  noisy = true;
  await watch.until(() => watch.detached, (d) => d.length === 1, 'unit2 detached', 15_000);
  const before = watch.readings('MODBUS0001/unit1').length;
  await watch.readingCount('MODBUS0001/unit1', before + 10);
  t.deepEqual(watch.detached.map((d) => [d.key, d.reason]), [['MODBUS0001/unit2', 'keepalive_timeout']]);
  const m = link.metrics();
  t.true(m.crcErrors >= 3 * 2, `${m.crcErrors} CRC errors: 1 + 2 retries per failed poll`);
  t.is(m.timeouts, 0);
});

maybe('RTU: the line stays silent for the inter-frame gap between an answer and the next request, retries included', async (t) => {
  const GAP_MS = 15; // far above pty jitter, so a gap not kept shows
  const { watch, relay } = await noisyLine(t, (_response, index) => index % 4 === 3, { interFrameGapMs: GAP_MS });
  await watch.readingCount('MODBUS0001/unit1', 15);
  await watch.readingCount('MODBUS0001/unit2', 15);
  // The relay sees an answer before the gateway does and a request after the gateway sent it, so
  // the silence it sees is never shorter than the one the gateway kept.
  const silences: number[] = [];
  for (let i = 1; i < relay.chunks.length; i++) {
    const [before, after] = [relay.chunks[i - 1]!, relay.chunks[i]!];
    if (before.to === 'gateway' && after.to === 'device') silences.push(after.at - before.at);
  }
  t.true(silences.length >= 30, `${silences.length} answer-to-request turns`);
  const shortest = Math.min(...silences);
  t.log(`${silences.length} turns, shortest silence ${shortest.toFixed(2)} ms (gap ${GAP_MS} ms), ${relay.corrupted} answers corrupted and asked again`);
  t.true(relay.corrupted >= 5, 'retries were among the turns');
  t.true(shortest >= GAP_MS, `shortest silence ${shortest.toFixed(2)} ms`);
});
