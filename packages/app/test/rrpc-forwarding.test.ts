import 'reflect-metadata';
import test from 'ava';
import { subdeviceKey } from '@iotgw/domain';
import { harness, SUB_A, until } from './support/harness.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function online(h: Awaited<ReturnType<typeof harness>>): Promise<void> {
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  await until(() => h.hub.isOnline(SUB_A), 'online');
}

test('an RRPC request reaches the subdevice over its link and its answer goes back under the same process id', async (t) => {
  const h = await harness();
  await online(h);
  h.link.subdevice(SUB_A)!.requestHandler = (p) => enc(`re:${text(p)}`);
  h.hub.pushRrpcRequest(SUB_A, '469', 'closed', h.clock.now());
  await until(() => h.hub.rrpcReplies.length === 1, 'the reply');
  const [reply] = h.hub.rrpcReplies;
  t.is(subdeviceKey(reply!.subdevice), subdeviceKey(SUB_A));
  t.is(reply!.processId, '469');
  t.is(text(reply!.payload), 're:closed');
  t.like(h.gateway.service.rrpc.stats, { received: 1, answered: 1, timedOut: 0 });
  await h.gateway.dispose();
});

test('a subdevice slower than the RRPC deadline: no reply at all (not even late), counted, one throttled log line', async (t) => {
  const h = await harness({ rrpcTimeoutMs: 200 });
  await online(h);
  let answered = 0;
  h.link.subdevice(SUB_A)!.requestHandler = (p) =>
    new Promise((resolve) =>
      setTimeout(() => {
        answered++;
        resolve(p);
      }, 600),
    );
  h.hub.pushRrpcRequest(SUB_A, '1', 'a', h.clock.now());
  h.hub.pushRrpcRequest(SUB_A, '2', 'b', h.clock.now());
  await until(() => h.gateway.service.rrpc.stats.timedOut === 2, 'both timed out');
  await until(() => answered === 2, 'the subdevice answered late', 3000);
  await h.idle();
  t.deepEqual(h.hub.rrpcReplies, [], 'nothing sent');
  t.is(h.logger.at('warn').filter((l) => l.message.includes('not answered within 200 ms')).length, 1, 'one line, the second held back');
  await h.gateway.dispose();
});

test('the deadline counts from the arrival: a request that waited past it is not forwarded', async (t) => {
  const h = await harness({ rrpcTimeoutMs: 1000 });
  await online(h);
  h.link.subdevice(SUB_A)!.requestHandler = (p) => p;
  h.hub.pushRrpcRequest(SUB_A, '9', 'old', h.clock.now() - 5000);
  await until(() => h.gateway.service.rrpc.stats.timedOut === 1, 'timed out');
  t.is(h.link.subdevice(SUB_A)!.requests.length, 0);
  t.deepEqual(h.hub.rrpcReplies, []);
  await h.gateway.dispose();
});

test('an old subdevice that takes no requests, and one that is not attached: no reply, counted and logged', async (t) => {
  const h = await harness();
  await online(h);
  h.hub.pushRrpcRequest(SUB_A, '5', 'x', h.clock.now());
  await until(() => h.gateway.service.rrpc.stats.unsupported === 1, 'unsupported');
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('not answered') && l.context['subdevice'] === subdeviceKey(SUB_A) && l.context['code'] === 'link.unavailable'));
  h.link.detach(SUB_A, 'link_lost');
  h.hub.pushRrpcRequest(SUB_A, '6', 'x', h.clock.now());
  await h.idle();
  t.deepEqual(h.hub.rrpcReplies, []);
  await h.gateway.dispose();
});
