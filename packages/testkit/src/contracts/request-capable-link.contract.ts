import type { ExecutionContext, TestFn } from 'ava';
import { LinkError, subdeviceKey, TimeoutError, type RequestCapableLink, type SubdeviceAttachment, type SubdeviceId, type SubdeviceLink } from '@iotgw/domain';
import { nextEvent } from './eventually.js';

/** A request-capable link plus simulated subdevices whose answers the suite scripts. */
export interface RequestCapableLinkHarness {
  readonly link: SubdeviceLink & RequestCapableLink;
  readonly subdevices: readonly SubdeviceId[];
  attach(subdevice: SubdeviceId, version: string): Promise<void>;
  /**
   * How the subdevice answers from now on: a handler (after `delayMs`), or 'none': it cannot take
   * requests at all (an old firmware). Resolves once the link knows (a re-announce may be needed).
   */
  answerRequests(subdevice: SubdeviceId, answer: ((payload: Uint8Array) => Uint8Array) | 'none', delayMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The RequestCapableLink contract, clause by clause (subdevice-requests.port.ts). */
export function describeRequestCapableLinkContract(test: TestFn, makeHarness: () => Promise<RequestCapableLinkHarness>, name = 'RequestCapableLink'): void {
  const ready = async (t: ExecutionContext): Promise<{ h: RequestCapableLinkHarness; sub: SubdeviceId }> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    await h.link.start({ timeoutMs: 10_000 });
    const sub = h.subdevices[0]!;
    const attached = nextEvent<SubdeviceAttachment>((l) => h.link.on('attached', (a) => subdeviceKey(a.subdevice) === subdeviceKey(sub) && l(a)), 10_000, 'attached');
    await h.attach(sub, '1.0.0');
    await attached;
    return { h, sub };
  };

  test(`${name}: a request is answered with the subdevice's bytes`, async (t) => {
    const { h, sub } = await ready(t);
    await h.answerRequests(sub, (p) => enc(`re:${dec(p)}`));
    t.is(dec(await h.link.request(sub, enc('closed'), { timeoutMs: 3000 })), 're:closed');
  });

  test(`${name}: a subdevice slower than the deadline → TimeoutError; the late answer does not leak into the next request`, async (t) => {
    const { h, sub } = await ready(t);
    await h.answerRequests(sub, (p) => enc(`slow:${dec(p)}`), 800);
    await t.throwsAsync(h.link.request(sub, enc('a'), { timeoutMs: 300 }), { instanceOf: TimeoutError });
    await h.answerRequests(sub, (p) => enc(`fast:${dec(p)}`));
    await new Promise((resolve) => setTimeout(resolve, 700)); // the slow answer arrives in this window
    t.is(dec(await h.link.request(sub, enc('b'), { timeoutMs: 3000 })), 'fast:b');
  });

  test(`${name}: a subdevice that takes no requests fails at once with link.unavailable`, async (t) => {
    const { h, sub } = await ready(t);
    await h.answerRequests(sub, 'none');
    const started = Date.now();
    const error = await t.throwsAsync(h.link.request(sub, enc('x'), { timeoutMs: 5000 }), { instanceOf: LinkError });
    t.is(error?.code, 'link.unavailable');
    t.true(Date.now() - started < 2500, 'not after waiting for the deadline');
  });

  test(`${name}: a subdevice that is not attached fails with link.unknown_subdevice`, async (t) => {
    const { h } = await ready(t);
    const error = await t.throwsAsync(h.link.request(h.subdevices[1]!, enc('x'), { timeoutMs: 1000 }), { instanceOf: LinkError });
    t.is(error?.code, 'link.unknown_subdevice');
  });
}
