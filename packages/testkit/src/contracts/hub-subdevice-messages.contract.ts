import type { ExecutionContext, TestFn } from 'ava';
import { HubDisconnectedError, offersRrpc, subdeviceKey, ValidationError, type SubdeviceId } from '@iotgw/domain';
import { eventually, nextEvent } from './eventually.js';
import type { HubTransportHarness } from './hub-transport.contract.js';

/**
 * The clauses of what the hub sends a subdevice besides data: RRPC requests (answered with
 * `replyRrpc`, for a transport that `offersRrpc`) and broadcasts. `withBound` gives a connected
 * harness with `sub` bound, not online yet.
 */
export function describeSubdeviceMessagesContract(
  test: TestFn,
  name: string,
  withBound: (t: ExecutionContext) => Promise<HubTransportHarness>,
  sub: SubdeviceId,
): void {
  const SUB_A = sub;
  test(`${name}: an RRPC request to an online subdevice arrives with its process id; the reply reaches the hub under the same id`, async (t) => {
    const h = await withBound(t);
    const rrpc = h.transport;
    if (!offersRrpc(rrpc)) return t.pass('the transport offers no RRPC');
    await h.transport.online([SUB_A]);
    const request = nextEvent<{ subdevice: SubdeviceId; processId: string; payload: Uint8Array; receivedAt: number }>((l) => h.transport.on('rrpcRequest', l));
    await h.pushRrpcRequest(SUB_A, '469', new TextEncoder().encode('closed'));
    const r = await request;
    t.is(subdeviceKey(r.subdevice), subdeviceKey(SUB_A));
    t.is(r.processId, '469');
    t.is(new TextDecoder().decode(r.payload), 'closed');
    t.true(Number.isFinite(r.receivedAt));
    await rrpc.replyRrpc(SUB_A, r.processId, new TextEncoder().encode('ok'));
    const [reply] = await eventually(() => h.rrpcRepliesReceived(), (r) => r.length === 1, { what: 'the reply to reach the hub' });
    t.is(subdeviceKey(reply!.subdevice), subdeviceKey(SUB_A));
    t.is(reply!.processId, '469');
    t.is(new TextDecoder().decode(reply!.payload), 'ok');
  });

  test(`${name}: a broadcast for an online subdevice arrives as a broadcast event with the exact bytes`, async (t) => {
    const h = await withBound(t);
    await h.transport.online([SUB_A]);
    const message = nextEvent<{ subdevice: SubdeviceId; payload: Uint8Array }>((l) => h.transport.on('broadcast', l));
    await h.pushBroadcast(SUB_A, new TextEncoder().encode('closed'));
    const m = await message;
    t.is(subdeviceKey(m.subdevice), subdeviceKey(SUB_A));
    t.is(new TextDecoder().decode(m.payload), 'closed');
  });

  test(`${name}: an RRPC reply is never queued: while disconnected it rejects with HubDisconnectedError; a bad process id with ValidationError`, async (t) => {
    const h = await withBound(t);
    const rrpc = h.transport;
    if (!offersRrpc(rrpc)) return t.pass('the transport offers no RRPC');
    await h.transport.online([SUB_A]);
    await t.throwsAsync(rrpc.replyRrpc(SUB_A, '1/2', new Uint8Array(0)), { instanceOf: ValidationError });
    await t.throwsAsync(rrpc.replyRrpc(SUB_A, '+', new Uint8Array(0)), { instanceOf: ValidationError });
    await h.cutConnection();
    await t.throwsAsync(rrpc.replyRrpc(SUB_A, '7', new TextEncoder().encode('late')), { instanceOf: HubDisconnectedError });
    await h.restoreConnection();
    await eventually(() => h.transport.state, (s) => s === 'connected', { timeoutMs: 10_000, what: 'the reconnect' });
    t.deepEqual(await h.rrpcRepliesReceived(), [], 'nothing was sent late');
  });
}
