import type { ExecutionContext, TestFn } from 'ava';
import { isGatewayError, type ByteStream } from '@iotgw/domain';
import { eventually } from '@iotgw/testkit';
import { IOTGW_GATT_PROFILE, type BleAdvertisement, type BleCentral } from '../src/index.js';

/** A BleCentral with one simulated peripheral in range, or none when there is no radio at all. */
export interface BleCentralHarness {
  readonly central: BleCentral;
  /** The peripheral in range, with what the central should see of it; absent for a central without a radio. */
  readonly peripheral?: {
    /** The id the central reports it under. */
    readonly id: string;
    readonly localName: string;
    /** Largest ATT MTU the peripheral takes. */
    readonly maxMtu: number;
    /** Its end of the current connection (what the firmware sees). */
    session(): ByteStream | undefined;
    /** The radio loses the connection. */
    drop(): void;
  };
  dispose(): Promise<void>;
}

/**
 * The BleCentral port's promises (ble-central.port.ts), clause by clause. Implementations: the
 * SimulatedBleCentral, and NobleBleCentral on a simulated radio below noble; without any radio
 * (the real noble on a machine with no adapter, a powered-off simulation) the "no radio" clauses.
 */
export function describeBleCentralContract(
  test: TestFn,
  makeHarness: () => Promise<BleCentralHarness>,
  options: { readonly name: string; readonly radio: boolean },
): void {
  const { name } = options;
  const harness = async (t: ExecutionContext): Promise<BleCentralHarness> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    if (options.radio !== Boolean(h.peripheral)) throw new Error(`harness ${name}: radio ${options.radio} but peripheral ${String(Boolean(h.peripheral))}`);
    return h;
  };
  // Without a radio only the first clause applies; with one, every other clause.
  type Clause = (t: ExecutionContext) => Promise<void>;
  const noRadio = (title: string, clause: Clause): void => {
    if (!options.radio) test(title, clause);
  };
  const radio = (title: string, clause: Clause): void => {
    if (options.radio) test(title, clause);
  };
  const connected = async (h: BleCentralHarness) => {
    const p = h.peripheral!;
    const scan = await h.central.scan({}, () => {}, { timeoutMs: 5_000 });
    // A central may only know a peripheral from its advertisement.
    await new Promise((r) => setTimeout(r, 30));
    scan.close();
    const connection = await h.central.connect(p.id, { mtu: 247, timeoutMs: 5_000 });
    const channel = await connection.openChannel(IOTGW_GATT_PROFILE, { timeoutMs: 5_000 });
    return { connection, channel, session: p.session()! };
  };

  noRadio(`${name}: without a usable radio, scan and connect reject with link.unavailable and close still resolves`, async (t) => {
    const h = await harness(t);
    const scan = await t.throwsAsync(h.central.scan({}, () => {}, { timeoutMs: 8_000 }));
    t.true(isGatewayError(scan) && scan.code === 'link.unavailable', String(scan));
    const connect = await t.throwsAsync(h.central.connect('aa:bb:cc:dd:ee:ff', { timeoutMs: 8_000 }));
    t.true(isGatewayError(connect) && connect.code === 'link.unavailable', String(connect));
    await t.notThrowsAsync(h.central.close());
    await t.notThrowsAsync(h.central.close());
  });

  radio(`${name}: scan reports the peripheral's advertisement until the handle is closed`, async (t) => {
    const h = await harness(t);
    const seen: BleAdvertisement[] = [];
    const handle = await h.central.scan({ services: [IOTGW_GATT_PROFILE.service.toUpperCase()] }, (ad) => seen.push(ad));
    await eventually(() => seen.length, (n) => n > 0, { what: 'an advertisement' });
    t.like(seen[0], { id: h.peripheral!.id, localName: h.peripheral!.localName });
    handle.close();
    await new Promise((r) => setTimeout(r, 50));
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 50));
    t.is(seen.length, count, 'nothing after close');
  });

  radio(`${name}: connect gives a connection with the negotiated MTU, and the GATT channel carries bytes both ways in order`, async (t) => {
    const h = await harness(t);
    const { connection, channel, session } = await connected(h);
    t.true(connection.connected);
    t.is(connection.mtu, Math.min(247, h.peripheral!.maxMtu));
    const down: number[] = [];
    session.on('data', (b) => down.push(...b));
    const up: number[] = [];
    channel.onNotify((b) => up.push(...b));
    for (let i = 0; i < 5; i++) await channel.write(Uint8Array.of(i, i, i));
    session.write(Uint8Array.from({ length: 60 }, (_, i) => i));
    await eventually(() => down.length + up.length, (n) => n >= 75, { what: 'bytes both ways' });
    t.deepEqual(down, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    t.deepEqual(up, Array.from({ length: 60 }, (_, i) => i));
  });

  radio(`${name}: a write longer than MTU - 3 is refused with validation.invalid`, async (t) => {
    const h = await harness(t);
    const { connection, channel } = await connected(h);
    const error = await t.throwsAsync(channel.write(new Uint8Array(connection.mtu - 2)));
    t.true(isGatewayError(error) && error.code === 'validation.invalid', String(error));
  });

  radio(`${name}: disconnect runs onDisconnect once; later writes reject with link.disconnected; disconnect is idempotent`, async (t) => {
    const h = await harness(t);
    const { connection, channel } = await connected(h);
    let heard = 0;
    connection.onDisconnect(() => heard++);
    await connection.disconnect();
    await eventually(() => heard, (n) => n === 1, { what: 'onDisconnect' });
    t.false(connection.connected);
    const error = await t.throwsAsync(channel.write(Uint8Array.of(1)));
    t.true(isGatewayError(error) && error.code === 'link.disconnected', String(error));
    await t.notThrowsAsync(connection.disconnect());
    await new Promise((r) => setTimeout(r, 30));
    t.is(heard, 1);
  });

  radio(`${name}: a connection the radio loses runs onDisconnect once and rejects later writes with link.disconnected`, async (t) => {
    const h = await harness(t);
    const { connection, channel } = await connected(h);
    const reasons: string[] = [];
    connection.onDisconnect((reason) => reasons.push(reason));
    h.peripheral!.drop();
    await eventually(() => reasons.length, (n) => n === 1, { what: 'onDisconnect after a radio loss' });
    t.false(connection.connected);
    const error = await t.throwsAsync(channel.write(Uint8Array.of(1)));
    t.true(isGatewayError(error) && error.code === 'link.disconnected', String(error));
  });

  radio(`${name}: connecting to a peripheral never seen rejects with a LinkError`, async (t) => {
    const h = await harness(t);
    const error = await t.throwsAsync(h.central.connect('0f:0f:0f:0f:0f:0f', { timeoutMs: 3_000 }));
    t.true(isGatewayError(error) && error.code.startsWith('link.'), String(error));
  });

  radio(`${name}: close is idempotent and drops live connections`, async (t) => {
    const h = await harness(t);
    const { connection } = await connected(h);
    let heard = 0;
    connection.onDisconnect(() => heard++);
    await h.central.close();
    await t.notThrowsAsync(h.central.close());
    await eventually(() => heard, (n) => n === 1, { what: 'the connection dropped by close' });
  });
}
