import test from 'ava';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createModbusLink } from '../src/index.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PymodbusServer, pymodbusTestsEnabled } from './helpers/pymodbus-server.js';
import { typedModel, typedRegisters, typedValues } from './helpers/typed-model.js';

const maybe = pymodbusTestsEnabled() ? test.serial : test.serial.skip;
const encode = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));

maybe('TCP: readings decoded like RTU, writes land in pymodbus, several unit ids behind one connection', async (t) => {
  const server = await PymodbusServer.start({ tcp: true }, { ...typedRegisters(1), ...typedRegisters(2) });
  t.teardown(() => server.stop());
  const units = [1, 2].map((u) => ({ id: `MODBUS0002/tcp${u}`, unit: u, model: typedModel, pollIntervalMs: 100 }));
  const link = await createModbusLink({ tcp: { host: '127.0.0.1', port: server.port }, units });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  await link.start();
  t.is(link.name, `modbus-tcp:127.0.0.1:${server.port}`);
  const [r1] = await watch.readingCount('MODBUS0002/tcp1', 1);
  const [r2] = await watch.readingCount('MODBUS0002/tcp2', 1);
  t.deepEqual(r1!.value, typedValues);
  t.deepEqual(r2!.value, typedValues);
  const sub = link.attachedSubdevices().find((a) => a.subdevice.deviceName === 'tcp2')!.subdevice;
  await link.send(sub, encode({ set: { u16scaled: 0.5, relay: false }, id: 9 }));
  t.deepEqual(watch.answers('MODBUS0002/tcp2'), [{ result: { u16scaled: { ok: true, value: 0.5 }, relay: { ok: true, value: false } }, id: 9 }]);
  t.deepEqual(await server.get(2, 'hr', 1, 1), [5]);
  t.deepEqual(await server.get(2, 'co', 3, 1), [0]);
  t.deepEqual(await server.get(1, 'hr', 1, 1), [2298], 'unit 1 untouched');
});

/** One unit polled every 100 ms over TCP to `port`, reconnecting fast (100 ms to 500 ms); started. */
async function reconnectingLink(t: { teardown(fn: () => Promise<void>): void }, port: number) {
  const link = await createModbusLink({
    tcp: { host: '127.0.0.1', port },
    units: [{ id: 'MODBUS0002/tcp1', unit: 1, model: typedModel, pollIntervalMs: 100 }],
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
  });
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  await link.start();
  return { link, watch };
}

maybe('TCP: the connection lost (server restarted): units detach (link_lost), the link reconnects with backoff and they attach again', async (t) => {
  let server = await PymodbusServer.start({ tcp: true }, typedRegisters(1));
  t.teardown(() => server.stop());
  const port = server.port!;
  const { link, watch } = await reconnectingLink(t, port);
  await watch.readingCount('MODBUS0002/tcp1', 1);
  await server.stop();
  await watch.until(() => watch.detached, (d) => d.length === 1, 'detached');
  t.is(watch.detached[0]!.reason, 'link_lost');
  await new Promise((r) => setTimeout(r, 1200)); // a few failed reconnects
  server = await PymodbusServer.start({ tcp: port }, typedRegisters(1));
  await watch.until(() => watch.attached.length, (n) => n === 2, 'attached again', 15_000);
  await watch.nextReading('MODBUS0002/tcp1', (r) => r.i16 === -1234);
  t.is(link.metrics().disconnects, 1);
});

test.serial('TCP: start rejects with link.unavailable naming the host when nothing listens before the deadline', async (t) => {
  const link = await createModbusLink({ tcp: { host: '127.0.0.1', port: 1 }, units: [{ id: 'MODBUS0002/tcp1', unit: 1, model: typedModel }] });
  const error = await t.throwsAsync(link.start({ timeoutMs: 1500 }));
  t.is((error as { code?: string }).code, 'link.unavailable');
  t.regex(error.message, /^modbus-tcp:127\.0\.0\.1:1: could not open Modbus TCP 127\.0\.0\.1:1 within 1500 ms \(last try: .*ECONNREFUSED.*\)$/);
});

/** A TCP relay to pymodbus that can reset the connections it carries (RST, as a peer that crashed). */
async function resettingRelay(target: number): Promise<{ port: number; reset(): void; close(): Promise<void> }> {
  const carried: Array<[Socket, Socket]> = [];
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    carried.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    reset: () => {
      for (const [client, upstream] of carried.splice(0)) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    close: async () => {
      for (const [client, upstream] of carried.splice(0)) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

maybe('TCP: a connection reset (no close event from modbus-serial) is a lost connection too: units detach, the link reconnects, they attach again', async (t) => {
  const server = await PymodbusServer.start({ tcp: true }, typedRegisters(1));
  t.teardown(() => server.stop());
  const relay = await resettingRelay(server.port!);
  t.teardown(() => relay.close());
  const { link, watch } = await reconnectingLink(t, relay.port);
  await watch.readingCount('MODBUS0002/tcp1', 2);
  relay.reset();
  await watch.until(() => watch.detached, (d) => d.length === 1, 'detached after the reset');
  t.is(watch.detached[0]!.reason, 'link_lost');
  await watch.until(() => watch.attached.length, (n) => n === 2, 'attached again');
  t.is(link.metrics().disconnects, 1);
  t.true(watch.errors.some((e) => e.code === 'link.disconnected'));
});
