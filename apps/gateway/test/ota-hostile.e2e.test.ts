import 'reflect-metadata';
import test, { type ExecutionContext } from 'ava';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from '../src/demo/wait-for.js';
import { MosquittoBroker } from '@iotgw/testkit/mosquitto';
import { processRig } from './helpers/gateway-process.js';
import { SENSOR1, startRig } from './helpers/rig.js';

const UPDATE_TOPIC = `$ota/update/${SENSOR1.productId}/${SENSOR1.deviceName}`;
const REPORT_TOPIC = `$ota/report/${SENSOR1.productId}/${SENSOR1.deviceName}`;
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

interface Report {
  type: string;
  report: { version: string; progress?: { state: string; result_code: string; result_msg: string } };
}

/** A firmware server on this machine that counts requests (it must never see one). */
async function countingServer(t: ExecutionContext): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end('firmware');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

test.serial('hostile update_firmware pushes on the wire: never downloaded, each reported fail -5 saying why', async (t) => {
  if (!MosquittoBroker.available()) {
    if (process.env.CI === 'true') t.fail('mosquitto is required under CI');
    return t.pass('mosquitto not installed');
  }
  const broker = await MosquittoBroker.launch({ persistence: true });
  t.teardown(() => broker.dispose());
  const origin = await countingServer(t);
  // The real hub's role on the wire is played by a plain client of the same broker.
  const hub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'iotgw-test-hostile-hub' });
  t.teardown(() => hub.endAsync(true));
  const reports: Report[] = [];
  hub.on('message', (_topic, payload) => reports.push(JSON.parse(payload.toString('utf8')) as Report));
  await hub.subscribeAsync(REPORT_TOPIC, { qos: 1 });

  const rig = await startRig(t, { memory: true, broker: broker.url, bindings: [SENSOR1], ota: { allowLoopback: false } });
  const gateway = await rig.startGateway();
  rig.bench.subdevices[0]?.powerOn();
  await waitFor('sensor1 online', () => rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName), { timeoutMs: 20_000 });
  await waitFor('the gateway follows sensor1', () => reports.some((r) => r.type === 'report_version'), { timeoutMs: 30_000 });

  const pushes: Array<[Record<string, unknown>, RegExp]> = [
    [{ version: '../../etc/passwd', url: `${origin.url}/fw.bin` }, /must not contain "\/", "\\" or "\.\."/],
    [{ version: '9.9\u001b[2J', url: `${origin.url}/fw.bin` }, /printable ASCII/],
    [{ version: '0.0.0', file_size: 0, md5sum: EMPTY_MD5, url: `${origin.url}/empty.bin` }, /file_size/],
    [{ version: '6.6.6', url: `${origin.url}/fw.bin` }, /127\.0\.0\.1 is this machine \(loopback\); set ota\.allowLoopback/],
    [{ version: '7.7.7', url: origin.url.replace('127.0.0.1', 'localhost') + '/fw.bin' }, /localhost is this machine/],
    [{ version: '8.8.8', url: 'http://169.254.169.254/latest/meta-data/iam' }, /link-local/],
    [{ version: '5.5.5', url: 'file:///etc/shadow' }, /http or https/],
  ];
  for (const [patch] of pushes) {
    const message = { file_size: 8, md5sum: 'ad4615b866c13afb8b293a679bfa5dc4', type: 'update_firmware', ...patch };
    await hub.publishAsync(UPDATE_TOPIC, JSON.stringify(message), { qos: 1 });
    await hub.publishAsync(UPDATE_TOPIC, JSON.stringify(message), { qos: 1 }); // pushed twice: logged once
  }
  const failOf = (version: unknown): Report | undefined =>
    reports.find((r) => r.report.version === version && r.report.progress?.state === 'fail');
  await waitFor('a fail report for every hostile push', () => pushes.every(([p]) => failOf(p['version'])), { timeoutMs: 20_000 }).catch((error: unknown) => {
    t.log(JSON.stringify(reports));
    throw error;
  });
  for (const [patch, why] of pushes) {
    const fail = failOf(patch['version'])?.report.progress;
    t.is(fail?.result_code, '-5', String(patch['version']));
    t.regex(fail?.result_msg ?? '', /^refused by the gateway: /);
    t.regex(fail?.result_msg ?? '', why, String(patch['version']));
  }
  t.is(origin.requests(), 0, 'nothing was fetched');
  const firmwareDir = await readdir(join(rig.dir, 'gateway-data', 'firmware')).catch(() => []);
  t.deepEqual(firmwareDir, [], 'nothing was written');
  t.is(gateway.service.ota.jobOf(SENSOR1), undefined, 'no job was started');
  t.is(rig.bench.subdevices[0]?.version(), '1.0.0');
  t.false(reports.some((r) => r.report.progress?.state === 'downloading'), 'no download was even announced');
});

test.serial('iotgw start with ota.allowLoopback: a firmware URL pointing at its own control endpoint is refused, and logged once', async (t) => {
  if (!MosquittoBroker.available()) {
    if (process.env.CI === 'true') t.fail('mosquitto is required under CI');
    return t.pass('mosquitto not installed');
  }
  const broker = await MosquittoBroker.launch({ persistence: true });
  t.teardown(() => broker.dispose());
  const rig = await processRig(t, { broker: broker.url, ota: { allowLoopback: true } });
  if (!rig) return t.pass('socat not installed');
  const hub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'iotgw-test-control-hub' });
  t.teardown(() => hub.endAsync(true));
  const reports: Report[] = [];
  hub.on('message', (_topic, payload) => reports.push(JSON.parse(payload.toString('utf8')) as Report));
  await hub.subscribeAsync(REPORT_TOPIC, { qos: 1 });
  const gateway = await rig.start();
  rig.bench.subdevices[0]?.powerOn();
  await waitFor('the gateway follows sensor1', () => reports.some((r) => r.type === 'report_version'), { timeoutMs: 20_000 });
  const port = new URL(gateway.control).port;
  for (const url of [`${gateway.control}/subdevices`, `http://localhost:${port}/metrics`]) {
    const message = { file_size: 8, md5sum: 'ad4615b866c13afb8b293a679bfa5dc4', type: 'update_firmware', url, version: '4.0.0' };
    await hub.publishAsync(UPDATE_TOPIC, JSON.stringify(message), { qos: 1 });
    await hub.publishAsync(UPDATE_TOPIC, JSON.stringify(message), { qos: 1 }); // again: not logged again
  }
  await waitFor('the refusals', () => reports.filter((r) => r.report.progress?.state === 'fail').length >= 2, { timeoutMs: 20_000 });
  await new Promise((resolve) => setTimeout(resolve, 300)); // lets any further (wrong) log line arrive
  for (const r of reports.filter((x) => x.report.progress?.state === 'fail')) {
    t.regex(r.report.progress?.result_msg ?? '', new RegExp(`own control endpoint \\((127\\.0\\.0\\.1|localhost):${port}\\)`));
  }
  const lines = gateway.output().split('\n').filter((l) => l.includes('refusing the update to') && l.includes('4.0.0'));
  t.is(lines.length, 2, `one line per distinct refusal:\n${lines.join('\n')}`);
  t.false(reports.some((r) => r.report.progress?.state === 'downloading'));
});
