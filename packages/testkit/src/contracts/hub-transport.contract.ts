import type { ExecutionContext, TestFn } from 'ava';
import {
  CancelledError,
  HubAuthError,
  HubDisconnectedError,
  subdeviceId,
  subdeviceKey,
  TimeoutError,
  type DataChannel,
  type FirmwareJob,
  type HubConnectionState,
  type HubLogLevel,
  type HubTransport,
  type OtaReport,
  type SubdeviceId,
} from '@iotgw/domain';
import { eventually, nextEvent } from './eventually.js';
import { describeDeviceServicesContract } from './hub-device-services.contract.js';
import { describeSubdeviceMessagesContract } from './hub-subdevice-messages.contract.js';

/** What the hub received from the gateway (read on the hub side). */
export interface HubReceivedData {
  readonly subdevice: SubdeviceId;
  readonly channel: DataChannel;
  readonly payload: Uint8Array;
}

/**
 * A HubTransport plus the hub on the other side, driven by the suite. The transport is created
 * but not connected; the suite connects it. Implementations: FakeHub (testkit), the MQTT adapter
 * against the hub emulator or an aedes broker with a responder.
 */
export interface HubTransportHarness {
  readonly transport: HubTransport;
  /** The hub knows this subdevice and the secret a bind must present (nothing bound yet). */
  knowSubdevice(subdevice: SubdeviceId, secret: string): Promise<void>;
  /** The hub does not answer the next `op` request at all (the caller must time out or cancel). */
  dropNextAnswer(op: 'online' | 'offline' | 'bind' | 'unbind'): Promise<void>;
  /** Severs the connection; resolves once the transport noticed (state is no longer 'connected'). */
  cutConnection(): Promise<void>;
  /** Lets the transport reconnect (it does so by itself); resolves when the hub accepts again. */
  restoreConnection(): Promise<void>;
  /** Data publishes the hub received, in arrival order. */
  dataReceived(): Promise<HubReceivedData[]>;
  /** OTA reports the hub received (version and progress), in arrival order. */
  reportsReceived(): Promise<Array<{ readonly subdevice: SubdeviceId; readonly report: OtaReport | { readonly state: 'version'; readonly version: string } }>>;
  pushDownlink(subdevice: SubdeviceId, channel: DataChannel, payload: Uint8Array): Promise<void>;
  pushFirmwareUpdate(subdevice: SubdeviceId, job: FirmwareJob): Promise<void>;
  /** A cloud caller's RRPC request to a subdevice (`$rrpc/rxd/{pid}/{dev}/{processId}`). */
  pushRrpcRequest(subdevice: SubdeviceId, processId: string, payload: Uint8Array): Promise<void>;
  /** A broadcast to the subdevice's product, as the hub delivers it (`$broadcast/rxd/{pid}/{dev}`). */
  pushBroadcast(subdevice: SubdeviceId, payload: Uint8Array): Promise<void>;
  /** RRPC replies the hub received (`$rrpc/txd/...`), in arrival order. */
  rrpcRepliesReceived(): Promise<Array<{ readonly subdevice: SubdeviceId; readonly processId: string; readonly payload: Uint8Array }>>;
  /** The console binds/unbinds: the transport must emit `bindingChanged`. */
  changeBinding(subdevices: readonly SubdeviceId[], bound: boolean): Promise<void>;
  /** Whether the hub currently counts the subdevice online; omit when the hub side cannot tell. */
  isOnlineAtHub?(subdevice: SubdeviceId): Promise<boolean>;
  /** The hub's side of the gateway's own services (remote config, log level, events); omit when the transport offers none. */
  deviceServices?: {
    /** What the console holds for the gateway; `enabled: false` makes the hub answer 1001. */
    setRemoteConfig(config: Readonly<Record<string, unknown>> | undefined, enabled: boolean): Promise<void>;
    pushRemoteConfig(config: Readonly<Record<string, unknown>>): Promise<void>;
    setLogLevel(level: HubLogLevel, push: boolean): Promise<void>;
    gatewayEventsReceived(): Promise<Uint8Array[]>;
  };
  /** A transport for the same gateway with wrong credentials; omit when not applicable. */
  makeRefusedTransport?(): Promise<HubTransport>;
  dispose(): Promise<void>;
}

export interface HubTransportContractOptions {
  readonly name?: string;
  /** Short timeout for the timeout clauses (default 200 ms). */
  readonly shortTimeoutMs?: number;
}

const SUB_A = subdeviceId('SUBPRODAAA', 'sub-a');
const SUB_B = subdeviceId('SUBPRODAAA', 'sub-b');
const SUB_C = subdeviceId('SUBPRODCCC', 'sub_c');
const SECRET_A = 'c2VjcmV0S2V5MTIzNDU2Nw==';
const SECRET_B = 'b3RoZXJTZWNyZXQ=';

/** The HubTransport contract, clause by clause (hub-transport.port.ts). */
export function describeHubTransportContract(
  test: TestFn,
  makeHarness: () => Promise<HubTransportHarness>,
  options: HubTransportContractOptions = {},
): void {
  const name = options.name ?? 'HubTransport';
  const short = options.shortTimeoutMs ?? 200;

  const connected = async (t: ExecutionContext): Promise<HubTransportHarness> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    await h.transport.connect({ timeoutMs: 10_000 });
    return h;
  };
  const withBound = async (t: ExecutionContext): Promise<HubTransportHarness> => {
    const h = await connected(t);
    await h.knowSubdevice(SUB_A, SECRET_A);
    await h.knowSubdevice(SUB_B, SECRET_B);
    const results = await h.transport.bind([
      { subdevice: SUB_A, secret: SECRET_A },
      { subdevice: SUB_B, secret: SECRET_B },
    ]);
    if (!results.every((r) => r.ok)) throw new Error(`setup: bind failed ${JSON.stringify(results)}`);
    return h;
  };
  const codes = (results: ReadonlyArray<{ hubCode: number }>): number[] => results.map((r) => r.hubCode);
  const keys = (results: ReadonlyArray<{ subdevice: SubdeviceId }>): string[] => results.map((r) => subdeviceKey(r.subdevice));

  test(`${name}: connect resolves once the hub accepted; state is 'connected' and was announced`, async (t) => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    const states: HubConnectionState[] = [];
    h.transport.on('state', (s) => states.push(s));
    await h.transport.connect();
    t.is(h.transport.state, 'connected');
    t.is(states.at(-1), 'connected');
  });

  test(`${name}: refused credentials reject connect with HubAuthError`, async (t) => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    if (!h.makeRefusedTransport) {
      t.pass('harness has no way to present wrong credentials');
      return;
    }
    const refused = await h.makeRefusedTransport();
    t.teardown(() => refused.close());
    await t.throwsAsync(refused.connect({ timeoutMs: 10_000 }), { instanceOf: HubAuthError });
    t.not(refused.state, 'connected');
  });

  test(`${name}: bind with the right secret succeeds with hub code 0; a repeated bind also succeeds`, async (t) => {
    const h = await connected(t);
    await h.knowSubdevice(SUB_A, SECRET_A);
    const first = await h.transport.bind([{ subdevice: SUB_A, secret: SECRET_A }]);
    t.deepEqual(first.map((r) => [subdeviceKey(r.subdevice), r.ok, r.hubCode]), [[subdeviceKey(SUB_A), true, 0]]);
    const again = await h.transport.bind([{ subdevice: SUB_A, secret: SECRET_A }]);
    t.deepEqual(codes(again), [0]);
    t.deepEqual((await h.transport.listBound()).map(subdeviceKey), [subdeviceKey(SUB_A)]);
  });

  test(`${name}: bind with a wrong secret is a refusal (ok false, non-zero code), not a rejection`, async (t) => {
    const h = await connected(t);
    await h.knowSubdevice(SUB_A, SECRET_A);
    const [result] = await h.transport.bind([{ subdevice: SUB_A, secret: 'wrong-secret' }]);
    t.false(result?.ok);
    t.not(result?.hubCode, 0);
    t.deepEqual(await h.transport.listBound(), []);
  });

  test(`${name}: online of an unbound subdevice is a refusal with hub code -1`, async (t) => {
    const h = await connected(t);
    const results = await h.transport.online([SUB_C]);
    t.deepEqual(results.map((r) => [subdeviceKey(r.subdevice), r.ok, r.hubCode]), [[subdeviceKey(SUB_C), false, -1]]);
    t.is(typeof results[0]?.message, 'string');
  });

  test(`${name}: batched operations answer once per requested subdevice, in request order, duplicates included`, async (t) => {
    const h = await withBound(t);
    const online = await h.transport.online([SUB_B, SUB_C, SUB_A, SUB_B]);
    t.deepEqual(keys(online), [SUB_B, SUB_C, SUB_A, SUB_B].map(subdeviceKey));
    t.deepEqual(codes(online), [0, -1, 0, 0]);
    t.deepEqual(online.map((r) => r.ok), [true, false, true, true]);
    const offline = await h.transport.offline([SUB_A, SUB_C]);
    t.deepEqual(keys(offline), [SUB_A, SUB_C].map(subdeviceKey));
    t.deepEqual(codes(offline), [0, -1]);
  });

  test(`${name}: an empty batch resolves with no results`, async (t) => {
    const h = await connected(t);
    t.deepEqual(await h.transport.online([]), []);
  });

  test(`${name}: unbind removes the binding; online is then refused with -1`, async (t) => {
    const h = await withBound(t);
    t.deepEqual(codes(await h.transport.unbind([SUB_A])), [0]);
    t.deepEqual((await h.transport.listBound()).map(subdeviceKey), [subdeviceKey(SUB_B)]);
    t.deepEqual(codes(await h.transport.online([SUB_A])), [-1]);
  });

  test(`${name}: listBound lists every subdevice bound to this gateway`, async (t) => {
    const h = await withBound(t);
    t.deepEqual((await h.transport.listBound()).map(subdeviceKey).sort(), [SUB_A, SUB_B].map(subdeviceKey).sort());
  });

  test(`${name}: an unanswered operation rejects with TimeoutError after timeoutMs`, async (t) => {
    const h = await withBound(t);
    await h.dropNextAnswer('online');
    const started = Date.now();
    await t.throwsAsync(h.transport.online([SUB_A], { timeoutMs: short }), { instanceOf: TimeoutError });
    t.true(Date.now() - started >= short - 5);
    // The transport is still usable afterwards.
    t.deepEqual(codes(await h.transport.online([SUB_A])), [0]);
  });

  test(`${name}: aborting a pending operation rejects with CancelledError (not a timeout)`, async (t) => {
    const h = await withBound(t);
    await h.dropNextAnswer('online');
    const controller = new AbortController();
    const pending = h.transport.online([SUB_A], { signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(), 20);
    await t.throwsAsync(pending, { instanceOf: CancelledError });
  });

  test(`${name}: an already aborted signal rejects with CancelledError`, async (t) => {
    const h = await withBound(t);
    const controller = new AbortController();
    controller.abort();
    await t.throwsAsync(h.transport.online([SUB_A], { signal: controller.signal }), { instanceOf: CancelledError });
  });

  test(`${name}: publishData reaches the hub on the subdevice's channel with the exact bytes`, async (t) => {
    const h = await withBound(t);
    await h.transport.online([SUB_A]);
    const payload = new TextEncoder().encode('{"temp":21.5}');
    await h.transport.publishData(SUB_A, 'data', payload);
    await h.transport.publishData(SUB_A, 'event', new TextEncoder().encode('{"e":1}'));
    const got = await eventually(() => h.dataReceived(), (d) => d.length >= 2, { what: 'two publishes at the hub' });
    t.deepEqual(got.map((d) => [subdeviceKey(d.subdevice), d.channel]), [
      [subdeviceKey(SUB_A), 'data'],
      [subdeviceKey(SUB_A), 'event'],
    ]);
    t.deepEqual(Array.from(got[0]!.payload), Array.from(payload));
  });

  test(`${name}: QoS 1 publishes made while disconnected are delivered in order after reconnect`, async (t) => {
    const h = await withBound(t);
    await h.transport.online([SUB_A]);
    const reconnected = nextEvent<{ attempt: number }>((l) => h.transport.on('reconnected', l), 15_000, 'reconnected');
    await h.cutConnection();
    t.not(h.transport.state, 'connected');
    const texts = ['1', '2', '3'];
    // Not awaited before the restore: a transport may resolve on enqueue or only once delivered.
    const sends = texts.map((text) => h.transport.publishData(SUB_A, 'data', new TextEncoder().encode(text), { qos: 1, timeoutMs: 15_000 }));
    await h.restoreConnection();
    await Promise.all(sends);
    const info = await reconnected;
    t.true(info.attempt >= 1);
    // The hub forgot online subdevices: data waits for the online the app sends on 'reconnected'.
    t.deepEqual(codes(await h.transport.online([SUB_A])), [0]);
    const got = await eventually(() => h.dataReceived(), (d) => d.length >= 3, { what: 'queued publishes', timeoutMs: 10_000 });
    t.deepEqual(got.map((d) => new TextDecoder().decode(d.payload)), texts);
  });

  test(`${name}: data of a subdevice that is not online is held until the hub accepts it online`, async (t) => {
    const h = await withBound(t);
    await h.transport.publishData(SUB_A, 'data', new TextEncoder().encode('early'), { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.deepEqual(await h.dataReceived(), [], 'the hub would drop a gateway publishing for an offline subdevice');
    t.deepEqual(codes(await h.transport.online([SUB_A])), [0]);
    const got = await eventually(() => h.dataReceived(), (d) => d.length >= 1, { what: 'held data after online', timeoutMs: 5_000 });
    t.deepEqual(got.map((d) => new TextDecoder().decode(d.payload)), ['early']);
  });

  test(`${name}: after a reconnect the hub has forgotten online subdevices; online works again`, async (t) => {
    const h = await withBound(t);
    t.deepEqual(codes(await h.transport.online([SUB_A])), [0]);
    const reconnected = nextEvent((l) => h.transport.on('reconnected', l), 15_000, 'reconnected');
    await h.cutConnection();
    await h.restoreConnection();
    await reconnected;
    t.is(h.transport.state, 'connected');
    if (h.isOnlineAtHub) t.false(await h.isOnlineAtHub(SUB_A), 'the hub forgot the online subdevice');
    t.deepEqual(codes(await h.transport.online([SUB_A])), [0]);
    if (h.isOnlineAtHub) t.true(await h.isOnlineAtHub(SUB_A));
  });

  test(`${name}: batched operations while disconnected reject with HubDisconnectedError or wait for the reconnect`, async (t) => {
    const h = await withBound(t);
    await h.cutConnection();
    const attempt = h.transport.online([SUB_A], { timeoutMs: short });
    const error = await t.throwsAsync(attempt);
    t.true(error instanceof HubDisconnectedError || error instanceof TimeoutError, `got ${String(error)}`);
  });

  test(`${name}: version and OTA progress reports reach the hub`, async (t) => {
    const h = await withBound(t);
    await h.transport.online([SUB_A]);
    await h.transport.reportVersion(SUB_A, '1.0.0');
    await h.transport.reportFirmwareProgress(SUB_A, { state: 'burning', version: '1.1.0' });
    await h.transport.reportFirmwareProgress(SUB_A, { state: 'fail', version: '1.1.0', code: -4, message: 'md5 mismatch' });
    const got = await eventually(() => h.reportsReceived(), (r) => r.length >= 3, { what: 'three reports' });
    t.deepEqual(got.map((r) => subdeviceKey(r.subdevice)), Array(3).fill(subdeviceKey(SUB_A)));
    t.deepEqual(got.map((r) => r.report.state), ['version', 'burning', 'fail']);
    const fail = got[2]!.report;
    t.true(fail.state === 'fail' && fail.code === -4);
  });

  test(`${name}: hub pushes arrive as downlink, firmwareUpdate and bindingChanged events`, async (t) => {
    const h = await withBound(t);
    await h.transport.online([SUB_A]);
    const downlink = nextEvent<{ subdevice: SubdeviceId; channel: string; payload: Uint8Array }>((l) => h.transport.on('downlink', l));
    await h.pushDownlink(SUB_A, 'control', new TextEncoder().encode('{"on":true}'));
    const d = await downlink;
    t.is(subdeviceKey(d.subdevice), subdeviceKey(SUB_A));
    t.is(d.channel, 'control');
    t.is(new TextDecoder().decode(d.payload), '{"on":true}');

    const job: FirmwareJob = { version: '1.1.0', url: 'https://firmware.test/a.bin', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 175436 };
    const update = nextEvent<{ subdevice: SubdeviceId; job: FirmwareJob }>((l) => h.transport.on('firmwareUpdate', l));
    await h.pushFirmwareUpdate(SUB_A, job);
    const u = await update;
    t.is(subdeviceKey(u.subdevice), subdeviceKey(SUB_A));
    t.like(u.job, job);

    const change = nextEvent<{ subdevices: readonly SubdeviceId[]; bound: boolean }>((l) => h.transport.on('bindingChanged', l));
    await h.changeBinding([SUB_B], false);
    const c = await change;
    t.false(c.bound);
    t.deepEqual(c.subdevices.map(subdeviceKey), [subdeviceKey(SUB_B)]);
  });

  test(`${name}: after close every call rejects with HubDisconnectedError, no event fires, close is idempotent`, async (t) => {
    const h = await withBound(t);
    let events = 0;
    h.transport.on('downlink', () => events++);
    h.transport.on('reconnected', () => events++);
    await h.transport.close();
    t.is(h.transport.state, 'closed');
    await t.notThrowsAsync(h.transport.close());
    await t.throwsAsync(h.transport.online([SUB_A]), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.offline([SUB_A]), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.bind([{ subdevice: SUB_A, secret: SECRET_A }]), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.unbind([SUB_A]), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.listBound(), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.publishData(SUB_A, 'data', new Uint8Array([1])), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.reportVersion(SUB_A, '1.0.0'), { instanceOf: HubDisconnectedError });
    await h.pushDownlink(SUB_A, 'data', new Uint8Array([1])).catch(() => undefined);
    t.is(events, 0);
  });

  test(`${name}: close rejects pending operations with HubDisconnectedError`, async (t) => {
    const h = await withBound(t);
    await h.dropNextAnswer('online');
    const pending = h.transport.online([SUB_A], { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await h.transport.close();
    await t.throwsAsync(pending, { instanceOf: HubDisconnectedError });
  });

  describeDeviceServicesContract(test, name, connected);
  describeSubdeviceMessagesContract(test, name, withBound, SUB_A);
}
