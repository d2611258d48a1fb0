import test from 'ava';
import { createModbusLink, type ModbusSubdeviceLink } from '../src/index.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PymodbusServer, pymodbusTestsEnabled, type RegisterMap } from './helpers/pymodbus-server.js';
import { PtyCable } from './helpers/socat-pty.js';
import { typedModel, typedRegisters, typedValues } from './helpers/typed-model.js';

const maybe = pymodbusTestsEnabled() ? test.serial : test.serial.skip;

const SUB = 'MODBUS0001/typed';

interface Rig {
  cable: PtyCable;
  server: PymodbusServer;
  link: ModbusSubdeviceLink;
  watch: LinkWatch;
}

async function rig(t: { teardown(fn: () => Promise<void> | void): void }, map: RegisterMap, units: unknown[], extra: Record<string, unknown> = {}): Promise<Rig> {
  const cable = await PtyCable.create();
  t.teardown(() => cable.dispose());
  const server = await PymodbusServer.start({ rtu: cable.device }, map);
  t.teardown(() => server.stop());
  const link = await createModbusLink({ rtu: { path: cable.gateway, baudRate: 115200 }, units, requestTimeoutMs: 300, ...extra });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  await link.start({ timeoutMs: 10_000 });
  return { cable, server, link, watch };
}

maybe('RTU: readings are decoded with the right types, word and byte orders and scale, one JSON reading per poll cycle', async (t) => {
  const { watch } = await rig(t, typedRegisters(7), [{ id: SUB, unit: 7, model: typedModel, pollIntervalMs: 200 }]);
  const [first] = await watch.readingCount(SUB, 2);
  t.deepEqual(first!.value, typedValues);
  t.deepEqual(watch.attached.map((a) => [a.key, a.firmwareVersion]), [[SUB, '1.4.2']], 'attached once, version from the ascii register');
});

const encode = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));

maybe('RTU: a command writes the mapped registers (they land in pymodbus) and is answered per point on the same subdevice', async (t) => {
  const { link, server, watch } = await rig(t, typedRegisters(7), [{ id: SUB, unit: 7, model: typedModel, pollIntervalMs: 200 }]);
  await watch.readingCount(SUB, 1);
  const sub = link.attachedSubdevices()[0]!.subdevice;
  await link.send(sub, encode({ set: { setpoint: 22.25, u16scaled: 301.5, counter: -70000, relay: false }, id: 'c1' }));
  t.deepEqual(watch.answers(SUB), [
    {
      result: {
        setpoint: { ok: true, value: 22.25 },
        u16scaled: { ok: true, value: 301.5 },
        counter: { ok: true, value: -70000 },
        relay: { ok: true, value: false },
      },
      id: 'c1',
    },
  ]);
  const f = Buffer.alloc(4);
  f.writeFloatBE(22.25);
  t.deepEqual(await server.get(7, 'hr', 20, 2), [f.readUInt16BE(0), f.readUInt16BE(2)], 'float32, high word first');
  t.deepEqual(await server.get(7, 'hr', 1, 1), [3015], 'scaled 0.1');
  const c = Buffer.alloc(4);
  c.writeInt32BE(-70000);
  t.deepEqual(await server.get(7, 'hr', 30, 2), [c.readUInt16BE(2), c.readUInt16BE(0)], 'int32, low word first');
  t.deepEqual(await server.get(7, 'co', 3, 1), [0]);
  // And the next readings say so.
  await watch.nextReading(SUB, (r) => r.setpoint === 22.25 && r.u16scaled === 301.5 && r.counter === -70000 && r.relay === false);
});

maybe('RTU: refused points (unknown, read-only, out of range, wrong type, not a step of the scale) and bad payloads never reach the bus', async (t) => {
  const { link, server, watch } = await rig(t, typedRegisters(7), [{ id: SUB, unit: 7, model: typedModel, pollIntervalMs: 60_000 }]);
  await watch.readingCount(SUB, 1);
  const sub = link.attachedSubdevices()[0]!.subdevice;
  await server.stats(); // reset the server's request count
  await link.send(sub, encode({ set: { nope: 1, readOnly: 3, door: false, setpoint: 99, u16scaled: 'hot', relay: 'yes' } }));
  await link.send(sub, encode({ set: { u16scaled: 12.34 } }));
  await link.send(sub, new TextEncoder().encode('{"set": {"setpoint": 2'));
  await link.send(sub, encode({ setpoint: 20 }));
  await link.send(sub, encode({ set: {} }));
  await link.send(sub, encode({ set: { setpoint: 20 }, extra: 1 }));
  await link.send(sub, encode({ result: { setpoint: { ok: true } } })); // an echo of an answer: ignored
  const answers = watch.answers(SUB);
  t.is(answers.length, 6, 'one answer per command, none for the echo');
  const first = answers[0]!.result as Record<string, { ok: boolean; error: string }>;
  t.deepEqual(Object.keys(first), ['nope', 'readOnly', 'door', 'setpoint', 'u16scaled', 'relay'], 'answered in the command order');
  t.true(Object.values(first).every((r) => r.ok === false));
  t.regex(first.nope!.error, /unknown point/);
  t.regex(first.readOnly!.error, /read-only/);
  t.regex(first.door!.error, /read-only/);
  t.regex(first.setpoint!.error, /out of range: 99 is above the maximum 35/);
  t.regex(first.u16scaled!.error, /must be a number/);
  t.regex(first.relay!.error, /true or false/);
  t.regex((answers[1]!.result as Record<string, { error: string }>).u16scaled!.error, /steps of 0\.1/);
  t.regex(answers[2]!.error as string, /not JSON/);
  t.regex(answers[3]!.error as string, /no "set" in the command: points to write go inside it, e.g. \{"set":\{"setpoint":20\}\}/);
  t.regex(answers[4]!.error as string, /"set" must be an object naming at least one point/);
  t.regex(answers[5]!.error as string, /unknown field "extra"/);
  t.is((await server.stats()).requests, 0, 'pymodbus saw no request at all');
  const served = typedRegisters(7)[7]!.hr!;
  t.deepEqual(await server.get(7, 'hr', 20, 2), [served[20], served[21]], 'setpoint untouched');
});

const tenRegisters = { model: 'ten', points: Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, function: 'holdingRegister', address: i })) };
const tenRegisterMap = (units: number[]): RegisterMap =>
  Object.fromEntries(units.map((u) => [u, { hr: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [i, u * 100 + i])) }]));

function maxGap(stamps: readonly { at: number }[], from: number, to: number): number {
  const inside = stamps.filter((s) => s.at >= from && s.at <= to).map((s) => s.at);
  let gap = 0;
  for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i]! - inside[i - 1]!);
  return gap;
}

maybe('RTU: a unit that stops answering costs the others at most one timeout per its turn, goes offline after N failures, is polled slowly, and comes back by itself', async (t) => {
  const pollMs = 100;
  const timeoutMs = 400;
  const downPollMs = 3000;
  const units = [1, 2, 3, 4].map((u) => ({ id: `MODBUS0001/unit${u}`, unit: u, model: tenRegisters, pollIntervalMs: pollMs }));
  const { link, server, watch } = await rig(t, tenRegisterMap([1, 2, 3, 4]), units, {
    requestTimeoutMs: timeoutMs,
    offlineAfterFailures: 3,
    retry: { initialDelayMs: 300, factor: 2, jitter: 0 },
    downPollIntervalMs: downPollMs,
  });
  await watch.until(() => watch.attached.length, (n) => n === 4, 'all four units attached');
  // The healthy units' own pace on this machine, right now.
  const baselineFrom = performance.now();
  await new Promise((r) => setTimeout(r, 2000));
  const baselineTo = performance.now();
  await server.mute(4);
  const mutedAt = performance.now();
  const detached = await watch.until(() => watch.detached, (d) => d.length >= 1, 'unit4 detached');
  t.deepEqual(detached.map((d) => [d.key, d.reason]), [['MODBUS0001/unit4', 'keepalive_timeout']]);
  const downFrom = performance.now();
  const timeoutsAtDetach = link.metrics().timeouts;
  t.is(timeoutsAtDetach, 3, 'offline after exactly offlineAfterFailures silent polls');
  await new Promise((r) => setTimeout(r, 6000));
  const downTo = performance.now();
  const slowPolls = link.metrics().timeouts - timeoutsAtDetach;
  t.true(slowPolls >= 1 && slowPolls <= 3, `${slowPolls} tries of the silent unit in 6 s (slow poll every ${downPollMs} ms)`);
  for (const u of [1, 2, 3]) {
    const key = `MODBUS0001/unit${u}`;
    const count = (from: number, to: number): number => watch.readings(key).filter((r) => r.at >= from && r.at <= to).length;
    const before = count(baselineFrom, baselineTo) / (baselineTo - baselineFrom);
    const during = count(downFrom, downTo) / (downTo - downFrom);
    const gap = maxGap(watch.readings(key), mutedAt, downTo);
    t.log(`unit${u}: ${(before * 1000).toFixed(1)} readings/s before, ${(during * 1000).toFixed(1)}/s while unit4 was down; longest gap ${gap.toFixed(0)} ms (poll ${pollMs}, timeout ${timeoutMs})`);
    // One timeout per turn of the silent unit, plus the poll interval, plus room for a loaded machine.
    t.true(gap < pollMs + timeoutMs + 450, `unit${u} waited ${gap.toFixed(0)} ms`);
    // Polled slowly while down, it takes little of the bus (a try every 3 s costs 0.4 s).
    t.true(during >= 0.6 * before, `unit${u}: ${(during * 1000).toFixed(1)}/s while down vs ${(before * 1000).toFixed(1)}/s before`);
  }
  t.is(link.metrics().unitsDown, 1);
  t.deepEqual(link.attachedSubdevices().map((a) => a.subdevice.deviceName).sort(), ['unit1', 'unit2', 'unit3']);
  await server.unmute(4);
  const unmutedAt = performance.now();
  const back = await watch.until(() => watch.attached.filter((a) => a.key === 'MODBUS0001/unit4'), (a) => a.length === 2, 'unit4 attached again', 15_000);
  t.true(back[1]!.at - unmutedAt < downPollMs + timeoutMs + 1500, 'back within one slow poll');
  await watch.nextReading('MODBUS0001/unit4', (r) => r.r0 === 400);
  t.is(link.metrics().unitsDown, 0);
});

maybe('RTU: a unit that never answered is polled slowly, never attached, and attaches once it answers', async (t) => {
  const units = [1, 2].map((u) => ({ id: `MODBUS0001/unit${u}`, unit: u, model: tenRegisters, pollIntervalMs: 200 }));
  const cable = await PtyCable.create();
  t.teardown(() => cable.dispose());
  const server = await PymodbusServer.start({ rtu: cable.device }, tenRegisterMap([1, 2]));
  t.teardown(() => server.stop());
  await server.mute(2);
  const link = await createModbusLink({ rtu: { path: cable.gateway, baudRate: 115200 }, units, requestTimeoutMs: 200, retry: { initialDelayMs: 200, jitter: 0 }, downPollIntervalMs: 800 });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  await link.start();
  await watch.readingCount('MODBUS0001/unit1', 10);
  t.deepEqual(watch.attached.map((a) => a.key), ['MODBUS0001/unit1']);
  await watch.until(() => watch.errors.find((e) => /unit 2 .*does not answer/.test(e.message)), (e) => e !== undefined, 'a problem said about unit 2');
  t.is(link.metrics().unitsDown, 1);
  await server.unmute(2);
  await watch.readingCount('MODBUS0001/unit2', 1);
  t.deepEqual(watch.attached.map((a) => [a.key, a.firmwareVersion]), [
    ['MODBUS0001/unit1', 'unknown'],
    ['MODBUS0001/unit2', 'unknown'],
  ], 'no version register in the model: "unknown"');
  t.deepEqual(watch.detached, []);
});

maybe('RTU: the pty torn down and recreated mid-run: units detach (link_lost), the port is reopened and they attach again', async (t) => {
  const units = [1, 2].map((u) => ({ id: `MODBUS0001/unit${u}`, unit: u, model: tenRegisters, pollIntervalMs: 100 }));
  const { link, cable, server, watch } = await rig(t, tenRegisterMap([1, 2]), units, { reconnect: { initialDelayMs: 100, maxDelayMs: 400 } });
  await watch.until(() => watch.attached.length, (n) => n === 2, 'both attached');
  await cable.pull();
  await server.stop(); // the device side goes too: only one server may answer on the new pty
  const lost = await watch.until(() => watch.detached, (d) => d.length === 2, 'both detached');
  t.deepEqual(lost.map((d) => d.reason), ['link_lost', 'link_lost']);
  t.true(watch.errors.some((e) => e.code === 'link.disconnected'));
  t.false(link.metrics().open);
  // Gone for a while (reopen attempts fail meanwhile), then plugged back in.
  await new Promise((r) => setTimeout(r, 1500));
  await cable.plug();
  // pymodbus lost its port too; a new one serves the new pty (the device power-cycled with the cable).
  const server2 = await PymodbusServer.start({ rtu: cable.device }, tenRegisterMap([1, 2]));
  t.teardown(() => server2.stop());
  await watch.until(() => watch.attached.length, (n) => n === 4, 'both attached again', 20_000);
  const after = await watch.nextReading('MODBUS0001/unit2');
  t.is(after.r9, 209);
  t.true(link.metrics().open);
  t.is(link.metrics().disconnects, 1);
});
