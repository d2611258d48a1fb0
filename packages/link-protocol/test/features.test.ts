import test from 'ava';
import { Feature, LinkProtocolError, ResponseStatus, type MessageName, type RequestOutcome } from '../src/index.js';
import { makeRig, runUntil, type Rig } from './harness.js';

const sent = (rig: Rig, from: 'G' | 'S', type: MessageName) => rig.log.filter((e) => e.from === from && e.message.type === type);
const text = (b: Uint8Array): string => Buffer.from(b).toString();
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function connected(rig: Rig): Promise<void> {
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
  await runUntil(rig.scheduler, () => rig.subdevices.every((s) => s.state === 'connected'));
}

function settle<T>(p: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const box: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (v) => Object.assign(box, { value: v, done: true }),
    (e: unknown) => Object.assign(box, { error: e, done: true }),
  );
  return box;
}

test('features: a subdevice with a request handler announces REQUESTS and the gateway agrees to it', async (t) => {
  const rig = makeRig({ hooks: () => ({ request: (p) => p }) });
  await connected(rig);
  t.is(sent(rig, 'S', 'hello').at(-1)!.message.type === 'hello' ? (sent(rig, 'S', 'hello').at(-1)!.message as { features: number }).features : -1, Feature.REQUESTS);
  t.is(rig.gateway.peer(1)?.features, Feature.REQUESTS);
  t.is(rig.subdevices[0]!.agreedFeatures, Feature.REQUESTS);
  t.like(sent(rig, 'G', 'hello_ack')[0]!.message, { features: Feature.REQUESTS });
  rig.gateway.stop();
});

test('requests: the gateway asks, the subdevice answers, the response carries the request id', async (t) => {
  const rig = makeRig({ hooks: () => ({ request: (p) => bytes(`re:${text(p)}`) }) });
  await connected(rig);
  const r = settle(rig.gateway.request(1, bytes('closed'), 3000));
  await runUntil(rig.scheduler, () => r.done);
  t.deepEqual({ status: r.value?.status, payload: text(r.value!.payload) }, { status: ResponseStatus.OK, payload: 're:closed' });
  const req = sent(rig, 'G', 'request')[0]!.message as { requestId: number; timeoutMs: number };
  t.is(req.timeoutMs, 3000);
  t.like(sent(rig, 'S', 'response')[0]!.message, { requestId: req.requestId, status: 0 });
  rig.gateway.stop();
});

test('requests: a subdevice slower than the deadline → timeout; its late response is dropped and the handler ran once', async (t) => {
  let runs = 0;
  const rig = makeRig({ hooks: () => ({ request: (p) => { runs++; return new Promise((resolve) => rig.scheduler.setTimer(2000, () => resolve(p))); } }) });
  await connected(rig);
  const r = settle(rig.gateway.request(1, bytes('slow'), 1000));
  await runUntil(rig.scheduler, () => r.done);
  t.true(r.error instanceof LinkProtocolError && r.error.reason === 'timeout');
  t.true(sent(rig, 'G', 'request').length >= 2, 'resent while waiting');
  await runUntil(rig.scheduler, () => sent(rig, 'S', 'response').length > 0, 5000);
  t.is(runs, 1, 'repeated REQUESTs do not run the handler again');
  t.is(rig.gateway.peer(1)?.address, 1, 'the late RESPONSE is ignored, the session goes on');
  rig.gateway.stop();
});

test('requests: a lost RESPONSE is recovered by the resent REQUEST (held response, handler not run again)', async (t) => {
  let runs = 0;
  const rig: Rig = makeRig({
    hooks: () => ({
      request: () => {
        runs++;
        return new Promise((resolve) => rig.scheduler.setTimer(50, () => resolve(bytes('ok'))));
      },
    }),
  });
  await connected(rig);
  const wire = rig.wire;
  const r = settle(rig.gateway.request(1, bytes('x'), 3000));
  // Let the request through, then cut the wire before the (slightly delayed) response goes.
  await runUntil(rig.scheduler, () => runs === 1);
  wire.cut = true;
  await runUntil(rig.scheduler, () => false, 100);
  wire.cut = false;
  await runUntil(rig.scheduler, () => r.done);
  t.is(text(r.value!.payload), 'ok');
  t.is(runs, 1);
  t.true(sent(rig, 'S', 'response').length >= 2);
  rig.gateway.stop();
});

test('requests: a subdevice without a handler (no REQUESTS) and a revision-1 subdevice are refused at once as unsupported', async (t) => {
  for (const subdevice of [{}, { revision: 1 }]) {
    const rig = makeRig({ subdevice });
    await connected(rig);
    const r = settle(rig.gateway.request(1, bytes('x'), 3000));
    await runUntil(rig.scheduler, () => r.done, 1);
    t.true(r.error instanceof LinkProtocolError && r.error.reason === 'unsupported');
    t.is(sent(rig, 'G', 'request').length, 0, 'nothing sent to it');
    rig.gateway.stop();
  }
});

test('requests: a failing handler answers FAILED with its message; a detach fails pending requests', async (t) => {
  const rig = makeRig({ hooks: () => ({ request: () => { throw new Error('sensor busy'); } }) });
  await connected(rig);
  const r = settle<RequestOutcome>(rig.gateway.request(1, bytes('x'), 3000));
  await runUntil(rig.scheduler, () => r.done);
  t.deepEqual({ status: r.value?.status, text: text(r.value!.payload) }, { status: ResponseStatus.FAILED, text: 'sensor busy' });
  rig.wire.cut = true;
  const pending = settle(rig.gateway.request(1, bytes('y'), 60_000));
  await runUntil(rig.scheduler, () => pending.done);
  t.true(pending.error instanceof LinkProtocolError && pending.error.reason === 'detached');
  rig.gateway.stop();
});

test('shadow: a delta reaches the subdevice once (acknowledged like DATA), a report reaches the gateway once', async (t) => {
  const deltas: string[] = [];
  const reports: string[] = [];
  const rig = makeRig({
    hooks: () => ({ shadowDelta: (version, doc) => deltas.push(`${version}:${text(doc)}`) }),
    gatewayHooks: { shadowReport: (_p, doc) => reports.push(text(doc)) },
  });
  await connected(rig);
  t.is(rig.gateway.peer(1)?.features, Feature.SHADOW);
  const d = settle(rig.gateway.sendShadowDelta(1, 3, bytes('{"led":1}')));
  await runUntil(rig.scheduler, () => d.done);
  t.true(d.done && d.error === undefined);
  t.deepEqual(deltas, ['3:{"led":1}']);
  const up = settle(rig.subdevices[0]!.reportShadow(bytes('{"led":1}')));
  await runUntil(rig.scheduler, () => up.done);
  t.true(up.error === undefined);
  t.deepEqual(reports, ['{"led":1}']);
  rig.gateway.stop();
});

test('shadow: a subdevice without SHADOW gets no delta (unsupported at once)', async (t) => {
  const rig = makeRig();
  await connected(rig);
  const d = settle(rig.gateway.sendShadowDelta(1, 1, bytes('{}')));
  await runUntil(rig.scheduler, () => d.done, 1);
  t.true(d.error instanceof LinkProtocolError && d.error.reason === 'unsupported');
  rig.gateway.stop();
});

test('time: the subdevice asks, the gateway answers with hub time (echo seq); unsupported without TIME', async (t) => {
  const rig = makeRig({ subdevice: { time: true }, gatewayHooks: { time: () => ({ unixMs: 1_700_000_000_600, synced: true }) } });
  await connected(rig);
  const r = settle(rig.subdevices[0]!.requestTime());
  await runUntil(rig.scheduler, () => r.done);
  t.deepEqual(r.value, { unixMs: 1_700_000_000_600, synced: true });
  t.is(sent(rig, 'G', 'time_response')[0]!.seq, sent(rig, 'S', 'time_request')[0]!.seq);
  rig.gateway.stop();

  const plain = makeRig({ gateway: { features: 0 }, subdevice: { time: true } });
  await connected(plain);
  const refused = settle(plain.subdevices[0]!.requestTime());
  await runUntil(plain.scheduler, () => refused.done, 1);
  t.true(refused.error instanceof LinkProtocolError && refused.error.reason === 'unsupported');
  plain.gateway.stop();
});

test('time: an unanswered request is resent, then fails with timeout', async (t) => {
  const rig = makeRig({ subdevice: { time: true } });
  await connected(rig);
  rig.wire.cut = true;
  const r = settle(rig.subdevices[0]!.requestTime());
  await runUntil(rig.scheduler, () => r.done, 3000);
  t.true(r.error instanceof LinkProtocolError && r.error.reason === 'timeout');
  t.is(sent(rig, 'S', 'time_request').length, 3);
  rig.gateway.stop();
});
