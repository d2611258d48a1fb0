import 'reflect-metadata';
import test from 'ava';
import { RegistrationRefusedError, subdeviceId, subdeviceKey, type DeviceRegistrar, type SubdeviceId } from '@iotgw/domain';
import { MemoryStateStore } from '@iotgw/testkit';
import { registeredSecretKey } from '../src/index.js';
import { harness, until } from './support/harness.js';

const NEW = subdeviceId('AUTOPRODUC', 'auto-1');
const NEW_SECRET = Buffer.from('registered-secret').toString('base64');

/** A registrar standing in for the platform: knows one product secret, answers a fixed PSK or refuses. */
class ScriptedRegistrar implements DeviceRegistrar {
  readonly calls: string[] = [];
  refuse: string | undefined;
  canRegister(productId: string): boolean {
    return productId === 'AUTOPRODUC';
  }
  register(device: SubdeviceId): Promise<string> {
    this.calls.push(subdeviceKey(device));
    if (this.refuse) return Promise.reject(new RegistrationRefusedError(this.refuse));
    return Promise.resolve(NEW_SECRET);
  }
}

test('register-bind-online: an unknown subdevice of a registrable product is registered, its secret kept, bound and brought online; after a restart it is not registered again', async (t) => {
  const store = new MemoryStateStore();
  const registrar = new ScriptedRegistrar();
  const first = await harness({ store, registrar, onUndeclaredAttach: 'register-bind-online' });
  first.hub.addSubdevice(NEW, NEW_SECRET);
  await first.gateway.start();
  first.link.attach(NEW, '1.0.0');
  await until(() => first.hub.isOnline(NEW), 'the new subdevice online', 10_000);
  t.true(first.hub.isBound(NEW));
  t.deepEqual(registrar.calls, ['AUTOPRODUC/auto-1']);
  t.is(await store.get(registeredSecretKey(NEW)), NEW_SECRET);
  t.false(first.logger.text().includes(NEW_SECRET), 'the secret is never logged');
  await first.gateway.dispose();

  const second = await harness({ store, registrar, onUndeclaredAttach: 'register-bind-online' });
  second.hub.addSubdevice(NEW, NEW_SECRET);
  await second.gateway.start();
  second.link.attach(NEW, '1.0.0');
  await until(() => second.hub.isOnline(NEW), 'online again after a restart', 10_000);
  t.is(registrar.calls.length, 1, 'the kept secret is used');
  await second.gateway.dispose();
});

test('a refused registration (wrong product secret) is logged with the platform answer; nothing is bound', async (t) => {
  const registrar = new ScriptedRegistrar();
  registrar.refuse = "the platform refused to register AUTOPRODUC/auto-1: AuthFailure.SignatureFailure: the signature does not match product AUTOPRODUC's secret";
  const h = await harness({ registrar, onUndeclaredAttach: 'register-bind-online' });
  h.hub.addSubdevice(NEW, NEW_SECRET);
  await h.gateway.start();
  h.link.attach(NEW, '1.0.0');
  await until(() => h.logger.at('error').length > 0, 'the refusal logged');
  await h.gateway.service.idle();
  t.regex(h.logger.at('error')[0]?.message ?? '', /cannot enrol the subdevice: the platform refused to register AUTOPRODUC\/auto-1: AuthFailure\.SignatureFailure/);
  t.false(h.hub.isBound(NEW));
  t.false(h.hub.isOnline(NEW));
  t.is(await h.store.get(registeredSecretKey(NEW)), undefined);
  await h.gateway.dispose();
});

test('without the policy, or for a product without a product secret, an undeclared subdevice is ignored (and said so)', async (t) => {
  const registrar = new ScriptedRegistrar();
  const off = await harness({ registrar });
  await off.gateway.start();
  off.link.attach(NEW, '1.0.0');
  await until(() => off.logger.text().includes('an undeclared subdevice attached; ignoring it'), 'ignored');
  t.deepEqual(registrar.calls, []);
  await off.gateway.dispose();

  const on = await harness({ registrar, onUndeclaredAttach: 'register-bind-online' });
  await on.gateway.start();
  on.link.attach(subdeviceId('OTHERPRODU', 'x'), '1.0.0');
  await until(() => on.logger.text().includes('no product secret for OTHERPRODU'), 'ignored, naming why');
  t.deepEqual(registrar.calls, []);
  await on.gateway.dispose();
});
