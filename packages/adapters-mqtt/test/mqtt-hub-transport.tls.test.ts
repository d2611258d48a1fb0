import test from 'ava';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { CapturingLogger } from '@iotgw/testkit';
import { MqttHubTransport, type MqttHubTransportOptions } from '../src/index.js';
import { TestBroker } from './helpers/aedes-broker.js';
import { makeTestCerts, type TestCerts } from './helpers/test-certs.js';
import { GW, GW_SECRET } from './helpers/setup.js';

let hasOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  hasOpenssl = false;
}
// Under CI a missing openssl is a failure; elsewhere the TLS tests are skipped.
const run = hasOpenssl || process.env['CI'] === 'true' ? test.serial : test.serial.skip;

let certs: TestCerts;
let broker: TestBroker;

test.before(async () => {
  if (!hasOpenssl && process.env['CI'] !== 'true') return;
  certs = await makeTestCerts(`${GW.productId}${GW.deviceName}`);
  broker = new TestBroker(new Map([[`${GW.productId}${GW.deviceName}`, GW_SECRET]]), {
    key: readFileSync(certs.serverKey),
    cert: readFileSync(certs.serverCert),
    ca: readFileSync(certs.caFile),
    requestCert: true,
    rejectUnauthorized: false,
  });
  await broker.start();
});

test.after.always(async () => {
  await broker?.stop();
  if (certs) await rm(certs.dir, { recursive: true, force: true });
});

function transport(extra: Partial<MqttHubTransportOptions>): MqttHubTransport {
  return new MqttHubTransport({
    gateway: GW,
    auth: { mode: 'KEY', deviceSecret: GW_SECRET },
    host: '127.0.0.1',
    port: broker.port,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    ...extra,
  });
}

run('TLS is on by default and verifies the hub against the given CA', async (t) => {
  const tr = transport({ caFile: certs.caFile });
  t.teardown(() => tr.close());
  await tr.connect({ timeoutMs: 5000 });
  t.is(tr.state, 'connected');
});

run('an untrusted hub certificate is refused while verification is on', async (t) => {
  const tr = transport({});
  t.teardown(() => tr.close());
  await t.throwsAsync(tr.connect({ timeoutMs: 700 }));
  t.not(tr.state, 'connected');
});

run('insecureSkipVerify connects to an untrusted hub and warns', async (t) => {
  const logger = new CapturingLogger();
  const tr = transport({ insecureSkipVerify: true, logger });
  t.teardown(() => tr.close());
  await tr.connect({ timeoutMs: 5000 });
  t.is(tr.state, 'connected');
  t.true(logger.at('warn').some((l) => /verification is OFF/.test(l.message)));
});

run('certificate auth: mutual TLS with the device certificate, no password', async (t) => {
  const tr = transport({ auth: { mode: 'CERT', certFile: certs.clientCert, keyFile: certs.clientKey }, caFile: certs.caFile });
  t.teardown(() => tr.close());
  await tr.connect({ timeoutMs: 5000 });
  t.is(tr.state, 'connected');
});
