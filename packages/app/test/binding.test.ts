import 'reflect-metadata';
import test, { type ExecutionContext } from 'ava';
import { SecretMissingError, subdeviceKey } from '@iotgw/domain';
import { HUB_RESULT } from '@iotgw/testkit';
import { SubdeviceSessions } from '../src/index.js';
import { harness, SUB_A, SUB_B, SUB_C, until } from './support/harness.js';

test('bind signs with the secret from the SecretStore; the hub then lists the subdevice as bound', async (t) => {
  const h = await harness({ bound: [] });
  await h.gateway.start();
  const results = await h.gateway.service.binding.bind([SUB_A, SUB_B]);
  t.deepEqual(results.map((r) => [subdeviceKey(r.subdevice), r.ok, r.hubCode]), [
    ['PRODUCTAAA/sensor-a', true, 0],
    ['PRODUCTAAA/sensor-b', true, 0],
  ]);
  t.deepEqual(h.secrets.lookups, ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b']);
  const listed = await h.gateway.service.binding.listBound();
  t.deepEqual(listed.map(subdeviceKey).sort(), ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b']);
  t.is(h.gateway.container.resolve(SubdeviceSessions).stateOf(SUB_A), 'bound');
  t.false(h.logger.text().includes('c2VjcmV0'), 'no secret in the logs');
  await h.gateway.dispose();
});

test('binding an already bound subdevice succeeds', async (t) => {
  const h = await harness({ bound: [SUB_A] });
  await h.gateway.start();
  const [result] = await h.gateway.service.binding.bind([SUB_A]);
  t.true(result?.ok);
  await h.gateway.dispose();
});

test('a missing secret fails with SecretMissingError naming the subdevice, before anything is sent', async (t) => {
  const h = await harness({ bound: [] });
  h.secrets.remove(SUB_B);
  await h.gateway.start();
  const error = await t.throwsAsync(h.gateway.service.binding.bind([SUB_A, SUB_B]), { instanceOf: SecretMissingError });
  t.is(error?.code, 'secret.missing');
  t.regex(error?.message ?? '', /PRODUCTAAA\/sensor-b.*secret store/);
  t.deepEqual(h.hub.operations, [], 'no bind was sent');
  await h.gateway.dispose();
});

test('the hub refusing a bind (wrong secret) is a result with its code, not a throw', async (t) => {
  const h = await harness({ bound: [] });
  h.secrets.set(SUB_A, 'd3Jvbmc=');
  await h.gateway.start();
  const [result] = await h.gateway.service.binding.bind([SUB_A]);
  t.false(result?.ok);
  t.is(result?.hubCode, HUB_RESULT.systemError);
  t.is(h.gateway.container.resolve(SubdeviceSessions).stateOf(SUB_A), 'unbound');
  await h.gateway.dispose();
});

test('unbind removes the binding; the hub refusing unbind (-1 not bound) is reported per subdevice', async (t) => {
  const h = await harness({ bound: [SUB_A] });
  await h.gateway.start();
  const results = await h.gateway.service.binding.unbind([SUB_A, SUB_C]);
  t.deepEqual(results.map((r) => [r.ok, r.hubCode]), [
    [true, 0],
    [false, -1],
  ]);
  t.false(h.hub.isBound(SUB_A));
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('refused to unbind')));
  await h.gateway.dispose();
});

test('the hub refusing a whole batch (failNext) and never answering listBound (timeout)', async (t) => {
  const h = await harness({ bound: [], hubTimeoutMs: 50 });
  await h.gateway.start();
  h.hub.failNext('bind', HUB_RESULT.systemError);
  const results = await h.gateway.service.binding.bind([SUB_A, SUB_B]);
  t.true(results.every((r) => !r.ok && r.hubCode === -2));
  h.hub.dropNext('listBound');
  await t.throwsAsync(h.gateway.service.binding.listBound(), { message: /timed out/ });
  await h.gateway.dispose();
});

test('a bind can be cancelled', async (t) => {
  const h = await harness({ bound: [] });
  await h.gateway.start();
  h.hub.dropNext('bind');
  const controller = new AbortController();
  const pending = h.gateway.service.binding.bind([SUB_A], { signal: controller.signal });
  setImmediate(() => controller.abort());
  const error = await t.throwsAsync(pending);
  t.is((error as { code?: string }).code, 'operation.cancelled');
  await h.gateway.dispose();
});

/** A running gateway (policy on_attach) with SUB_A attached, declared, and not bound at the hub. */
async function attachedButUnbound(t: ExecutionContext): Promise<{ h: Awaited<ReturnType<typeof harness>>; sessions: SubdeviceSessions }> {
  const h = await harness({ bound: [], onlinePolicy: 'on_attach' });
  const sessions = h.gateway.container.resolve(SubdeviceSessions);
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  t.false(h.hub.isOnline(SUB_A), 'not bound yet: refused');
  return { h, sessions };
}

test('binding changed on the console: sessions follow, a declared attached subdevice goes online', async (t) => {
  const { h, sessions } = await attachedButUnbound(t);

  h.hub.changeBinding([SUB_A], true);
  await until(() => sessions.stateOf(SUB_A) === 'online', 'online after the console bound it');
  t.true(h.hub.isOnline(SUB_A));
  h.hub.changeBinding([SUB_B], true);
  await h.idle();
  t.false(h.hub.isOnline(SUB_B), 'declared but not attached: stays offline under on_attach');

  h.hub.changeBinding([SUB_A], false);
  t.is(sessions.stateOf(SUB_A), 'unbound');
  t.false(h.gateway.service.presence.wanted().some((s) => s.deviceName === SUB_A.deviceName), 'no longer kept online');
  t.truthy(h.logger.lines.find((l) => l.message === 'the hub unbound a subdevice'));
  await h.gateway.dispose();
});

test('bound from the gateway, like from the console: a declared attached subdevice goes online; unbound, it is no longer kept online', async (t) => {
  const { h, sessions } = await attachedButUnbound(t);

  await h.gateway.service.binding.bind([SUB_A, SUB_B]);
  await until(() => sessions.stateOf(SUB_A) === 'online', 'online after the gateway bound it');
  await h.gateway.service.binding.idle();
  t.true(h.hub.isOnline(SUB_A));
  t.false(h.hub.isOnline(SUB_B), 'declared but not attached: stays offline under on_attach');

  await h.gateway.service.binding.unbind([SUB_A]);
  t.false(h.gateway.service.presence.wanted().some((s) => s.deviceName === SUB_A.deviceName), 'no longer kept online');
  await h.gateway.dispose();
});

test('"unbind all" on the console: every subdevice is unbound here and none is brought back online', async (t) => {
  const { h, sessions } = await attachedButUnbound(t);
  h.hub.changeBinding([SUB_A], true);
  await until(() => sessions.stateOf(SUB_A) === 'online', 'online after the console bound it');
  h.hub.changeBinding([SUB_B], true);
  await h.idle();
  t.is(sessions.stateOf(SUB_B), 'bound');

  h.hub.unbindAll();
  t.is(sessions.stateOf(SUB_A), 'unbound');
  t.is(sessions.stateOf(SUB_B), 'unbound');
  t.deepEqual(h.gateway.service.presence.wanted(), [], 'no longer kept online');
  t.regex(h.logger.lines.find((l) => l.message.startsWith('the hub unbound every subdevice'))?.message ?? '', /2 were bound here/);
  await h.gateway.dispose();
});

test('a refusal reaches the caller as a named error with the reason and the hub code', async (t) => {
  const h = await harness({ bound: [] });
  await h.gateway.start();
  const [result] = await h.gateway.service.binding.unbind([SUB_C]);
  t.false(result?.ok);
  t.is(result?.error?.reason, 'not_bound');
  t.is(result?.error?.hubCode, HUB_RESULT.notBound);
  t.truthy(h.logger.lines.find((l) => l.message.startsWith('the hub refused to unbind') && l.context?.['reason'] === 'not_bound'));
  await h.gateway.dispose();
});
