import test from 'ava';
import { ConfigError, subdeviceId } from '@iotgw/domain';
import { CapturingLogger } from '@iotgw/testkit';
import { MqttHubTransport, resolveEndpoint } from '../src/index.js';

const gateway = subdeviceId('ABCDEFGHIJ', 'gw1');
const auth = { mode: 'KEY', deviceSecret: 'c2VjcmV0' } as const;

test('the default endpoint is the product host over TLS 8883, region-aware', (t) => {
  t.deepEqual(resolveEndpoint({ gateway, auth }), { host: 'ABCDEFGHIJ.iotcloud.tencentdevices.com', port: 8883, tls: true });
  t.deepEqual(resolveEndpoint({ gateway, auth, region: 'us-east' }), {
    host: 'ABCDEFGHIJ.us-east.iotcloud.tencentdevices.com',
    port: 8883,
    tls: true,
  });
  t.deepEqual(resolveEndpoint({ gateway, auth, region: 'china', tls: false }), {
    host: 'ABCDEFGHIJ.iotcloud.tencentdevices.com',
    port: 1883,
    tls: false,
  });
  t.deepEqual(resolveEndpoint({ gateway, auth, host: 'localhost', port: 11883, tls: false }), { host: 'localhost', port: 11883, tls: false });
});

test('certificate auth without TLS and bad ports are configuration errors', (t) => {
  t.throws(() => resolveEndpoint({ gateway, auth: { mode: 'CERT', certFile: 'c', keyFile: 'k' }, tls: false }), { instanceOf: ConfigError });
  t.throws(() => resolveEndpoint({ gateway, auth, port: 70000 }), { instanceOf: ConfigError });
});

test('insecureSkipVerify is logged as a warning', (t) => {
  const logger = new CapturingLogger();
  new MqttHubTransport({ gateway, auth, insecureSkipVerify: true, logger });
  t.is(logger.at('warn').length, 1);
  t.regex(logger.at('warn')[0]!.message, /verification is OFF/);
  const quiet = new CapturingLogger();
  new MqttHubTransport({ gateway, auth, logger: quiet });
  t.is(quiet.lines.length, 0);
});
