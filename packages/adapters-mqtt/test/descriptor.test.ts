import test from 'ava';
import { ConfigError } from '@iotgw/domain';
import { fakeAdapterContext } from '@iotgw/testkit';
import { mqttHubAdapter } from '../src/index.js';

const context = fakeAdapterContext();

test('the hub section\'s defaults come from the schema; a bad field is named with its message', (t) => {
  const ok = mqttHubAdapter.options['~standard'].validate({ host: '127.0.0.1', tls: false });
  t.like(ok, { value: { host: '127.0.0.1', tls: false, batchSize: 50, operationTimeoutMs: 10_000, offlineStore: { overflow: 'drop-oldest' } } });
  t.like(mqttHubAdapter.options['~standard'].validate({ offlineStore: { maxBytes: 10 } }), {
    issues: [{ message: 'must be at least 1 MiB (1048576)', path: ['offlineStore', 'maxBytes'] }],
  });
});

test('without the gateway profile (no device file) the hub cannot be built, and says why', (t) => {
  const options = mqttHubAdapter.options['~standard'].validate({});
  if (options instanceof Promise || options.issues) return t.fail('defaults must validate');
  t.throws(() => mqttHubAdapter.create(options.value, context), { instanceOf: ConfigError, message: /hub: the mqtt hub connects as the gateway device/ });
});
