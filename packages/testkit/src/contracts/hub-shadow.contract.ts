import type { ExecutionContext, TestFn } from 'ava';
import { HubDisconnectedError, subdeviceKey, type HubShadows, type HubTransport, type ShadowDelta, type ShadowState, type SubdeviceId } from '@iotgw/domain';
import { nextEvent } from './eventually.js';

/** A connected HubTransport and a hub that keeps shadows (FakeHub; the hub emulator). */
export interface HubShadowHarness {
  readonly transport: HubTransport & HubShadows;
  /** Two subdevices bound to the gateway, not online yet. */
  readonly subdevices: readonly [SubdeviceId, SubdeviceId];
  /** The console (cloud API) sets desired state on the hub. */
  setDesired(subdevice: SubdeviceId, desired: ShadowState): Promise<void>;
  /** The shadow as the hub holds it. */
  shadowAtHub(subdevice: SubdeviceId): Promise<{ readonly version: number; readonly reported: ShadowState; readonly desired: ShadowState | undefined }>;
  dispose(): Promise<void>;
}

/** The shadow clauses of the HubTransport contract (HubShadows: getShadow, updateShadow; the `shadowDelta` event). */
export function describeHubShadowContract(test: TestFn, makeHarness: () => Promise<HubShadowHarness>, name = 'HubTransport'): void {
  const ready = async (t: ExecutionContext): Promise<HubShadowHarness> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    await h.transport.connect({ timeoutMs: 10_000 });
    return h;
  };
  const online = async (h: HubShadowHarness, sub: SubdeviceId): Promise<void> => {
    const [r] = await h.transport.online([sub], { timeoutMs: 10_000 });
    if (!r?.ok) throw new Error(`setup: online of ${subdeviceKey(sub)} failed: ${JSON.stringify(r)}`);
  };

  test(`${name}: shadow: reported state goes to the hub and get returns it with a larger version`, async (t) => {
    const h = await ready(t);
    const [a] = h.subdevices;
    await online(h, a);
    const before = await h.transport.getShadow(a, { timeoutMs: 10_000 });
    const { version } = await h.transport.updateShadow(a, { reported: { temperature: 21.5, led: 0 } }, { timeoutMs: 10_000 });
    t.true(version > before.version);
    const after = await h.transport.getShadow(a, { timeoutMs: 10_000 });
    t.like(after.reported, { temperature: 21.5, led: 0 });
    t.is(after.delta, undefined);
    t.like(await h.shadowAtHub(a), { reported: { temperature: 21.5, led: 0 } });
  });

  test(`${name}: shadow: desired set for an online subdevice arrives as shadowDelta; clearing desired removes the delta`, async (t) => {
    const h = await ready(t);
    const [a] = h.subdevices;
    await online(h, a);
    await h.transport.updateShadow(a, { reported: { led: 0 } }, { timeoutMs: 10_000 });
    const delta = nextEvent<ShadowDelta>((l) => h.transport.on('shadowDelta', l), 10_000, 'shadowDelta');
    await h.setDesired(a, { led: 1 });
    const d = await delta;
    t.is(subdeviceKey(d.subdevice), subdeviceKey(a));
    t.deepEqual(d.state, { led: 1 });
    t.true(Number.isSafeInteger(d.version) && d.version > 0);
    t.deepEqual((await h.transport.getShadow(a, { timeoutMs: 10_000 })).delta, { led: 1 });
    await h.transport.updateShadow(a, { reported: { led: 1 }, clearDesired: true }, { timeoutMs: 10_000 });
    const doc = await h.transport.getShadow(a, { timeoutMs: 10_000 });
    t.is(doc.delta, undefined);
    t.is(doc.desired, undefined);
    t.is((await h.shadowAtHub(a)).desired, undefined);
  });

  test(`${name}: shadow: desired set while the subdevice is offline is kept by the hub and seen in get once it is online`, async (t) => {
    const h = await ready(t);
    const [, b] = h.subdevices;
    const deltas: ShadowDelta[] = [];
    h.transport.on('shadowDelta', (d) => deltas.push(d));
    await h.setDesired(b, { mode: 'eco' });
    await online(h, b);
    const doc = await h.transport.getShadow(b, { timeoutMs: 10_000 });
    t.deepEqual(doc.delta, { mode: 'eco' });
    t.deepEqual(deltas, [], 'no push reached the gateway while it was offline');
  });

  test(`${name}: shadow: a subdevice that is not online cannot use its shadow (HubDisconnectedError, at once)`, async (t) => {
    const h = await ready(t);
    const [, b] = h.subdevices;
    await t.throwsAsync(h.transport.getShadow(b, { timeoutMs: 5_000 }), { instanceOf: HubDisconnectedError });
    await t.throwsAsync(h.transport.updateShadow(b, { reported: { x: 1 } }, { timeoutMs: 5_000 }), { instanceOf: HubDisconnectedError });
  });
}
