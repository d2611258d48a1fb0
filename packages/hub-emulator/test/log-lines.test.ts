import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import {
  buildKeyAuth,
  createBindEntry,
  encodeGatewayRequest,
  encodeReportProgress,
  encodeReportVersion,
  gatewayOperationResultTopic,
  gatewayOperationTopic,
  otaReportTopic,
  otaUpdateTopic,
} from '@iotgw/protocol-tencent';
import { spawnHubCli } from './cli-process.js';
import { GW, SUB1, SUB2, sampleRegistry, sub } from './helpers.js';

const NEW_SECRET = Buffer.from('console-added-secret').toString('base64');

/** Waits for the first message on `topic` matching `match`. */
function nextMessage(client: MqttClient, topic: string, match: (text: string) => boolean = () => true): Promise<string> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer): void => {
      if (t !== topic || !match(payload.toString())) return;
      client.off('message', onMessage);
      resolve(payload.toString());
    };
    client.on('message', onMessage);
  });
}

async function waitForOutput(output: () => string, pattern: RegExp, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('iotgw hub --log-level debug: a full flow is logged (connects, operations with results, firmware job states, every message) and no secret, password, signature or token appears', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hub-log-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registry = join(dir, 'registry.json');
  await writeFile(registry, JSON.stringify(sampleRegistry()));
  const hub = await spawnHubCli(['--port', '0', '--http-port', '0', '--registry', registry, '--log-level', 'debug']);
  t.teardown(() => {
    if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
  });
  const stdoutAtStart = hub.output();
  const mqttUrl = /MQTT:\s+(\S+)/.exec(stdoutAtStart)?.[1] ?? '';
  const consoleUrl = new URL(/console:\s+(\S+)/.exec(stdoutAtStart)?.[1] ?? '');
  const token = consoleUrl.searchParams.get('token') ?? '';
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(new URL(path, consoleUrl), {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': init.json === undefined ? 'application/octet-stream' : 'application/json' },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json), method: 'POST' }),
    });

  // A refused connection, then the gateway.
  const wrong = buildKeyAuth({ ...GW, deviceSecret: Buffer.from('wrong').toString('base64') });
  const refused = mqtt.connect(mqttUrl, { ...wrong, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve) => refused.once('error', () => resolve()));
  await refused.endAsync(true);
  const creds = buildKeyAuth(GW);
  const gw = await mqtt.connectAsync(mqttUrl, { ...creds, protocolVersion: 4, reconnectPeriod: 0 });
  await gw.subscribeAsync([gatewayOperationResultTopic(GW), otaUpdateTopic(SUB1)], { qos: 1 });
  const request = async (body: string, type: string): Promise<string> => {
    const reply = nextMessage(gw, gatewayOperationResultTopic(GW), (text) => JSON.parse(text).type === type);
    await gw.publishAsync(gatewayOperationTopic(GW), body, { qos: 0 });
    return reply;
  };
  // Binds: one with the wrong secret, one right; online; data.
  const badBind = createBindEntry({ subdevice: sub(SUB2), secret: Buffer.from('not-it').toString('base64') });
  const goodBind = createBindEntry({ subdevice: sub(SUB2), secret: SUB2.deviceSecret });
  await request(encodeGatewayRequest({ type: 'bind', devices: [badBind] }), 'bind');
  await request(encodeGatewayRequest({ type: 'bind', devices: [goodBind] }), 'bind');
  await request(encodeGatewayRequest({ type: 'online', devices: [sub(SUB1), sub(SUB2)] }), 'online');
  await gw.subscribeAsync('SB00000001/test1/data', { qos: 1 });
  await gw.publishAsync('SB00000001/test1/data', JSON.stringify({ temperature: 21.5 }), { qos: 1 });

  // The console: a wrong token, a new device with its secret, data down, an upload and a push.
  t.is((await fetch(new URL('/api/devices', consoleUrl), { headers: { authorization: 'Bearer not-the-token-123456' } })).status, 401);
  t.is((await api('/api/devices', { json: { productId: 'SB00000003', deviceName: 'added', deviceSecret: NEW_SECRET } })).status, 201);
  t.is((await api('/api/data', { json: { device: 'SB00000001/test1', payload: { led: 'on' } } })).status, 200);
  const image = Buffer.alloc(3000, 9);
  const uploaded = (await (await api('/api/firmware?version=2.0.0', { method: 'PUT', body: image })).json()) as { firmware: { id: string } };
  const update = nextMessage(gw, otaUpdateTopic(SUB1));
  t.is((await api('/api/ota', { json: { subdevice: 'SB00000001/test1', firmwareId: uploaded.firmware.id } })).status, 201);
  const command = JSON.parse(await update) as { url: string };
  const sig = new URL(command.url).searchParams.get('sig') ?? '';
  t.true(sig.length > 20);
  t.is((await fetch(command.url, { headers: { range: 'bytes=0-3000' } })).status, 206);
  // The gateway reports both legs, then done, then the new version.
  const report = (body: string) => gw.publishAsync(otaReportTopic(SUB1), body, { qos: 1 });
  await report(encodeReportProgress({ state: 'downloading', version: '2.0.0', percent: 0 }));
  await report(encodeReportProgress({ state: 'downloading', version: '2.0.0', percent: 100 }));
  await report(encodeReportProgress({ state: 'burning', version: '2.0.0', percent: 40 }));
  await report(encodeReportProgress({ state: 'done', version: '2.0.0' }));
  await report(encodeReportVersion('2.0.0'));
  await gw.endAsync();
  await waitForOutput(hub.output, /info  device disconnected device=GW00000001\/gw1/);
  // 'close', not 'exit': the last log lines may still be in the pipe when the process is gone.
  const exited = new Promise<number | null>((resolve) => hub.child.once('close', (code) => resolve(code)));
  hub.child.kill('SIGTERM');
  t.is(await exited, 0);

  const all = hub.output();
  const logs = all.slice(stdoutAtStart.length);
  const expected = [
    /warn  MQTT auth refused clientId=GW00000001gw1 reason="password signature does not match"/,
    /info  device connected device=GW00000001\/gw1 clientId=GW00000001gw1/,
    /warn  gateway operation bind refused gateway=GW00000001\/gw1 subdevice=SB00000001\/test2 result=-803 meaning="bind refused: signature does not match — check the subdevice's secret"/,
    /info  gateway operation bind gateway=GW00000001\/gw1 subdevice=SB00000001\/test2 result=0 meaning=success/,
    /info  gateway operation online gateway=GW00000001\/gw1 subdevice=SB00000001\/test1 result=0/,
    // Payloads are quoted (a device cannot start a fake log line with a newline of its own).
    /debug message up topic=SB00000001\/test1\/data bytes=20 payload="\{\\"temperature\\":21.5\}"/,
    /warn  admin request without a valid token refused method=GET path=\/api\/devices/,
    /info  console: device added device=SB00000003\/added gateway=false/,
    /debug message down topic=SB00000001\/test1\/data bytes=12/,
    /info  console: firmware uploaded firmware=fw1 version=2.0.0 bytes=3000 md5=[0-9a-f]{32}/,
    /info  firmware pushed job=job1 subdevice=SB00000001\/test1 firmware=fw1 version=2.0.0 bytes=3000/,
    /debug message down topic=\$ota\/update\/SB00000001\/test1 bytes=\d+ payload=.*sig=\*\*\*\\"/,
    /info  firmware download firmware=fw1 range="bytes=0-3000" status=206/,
    /info  firmware job downloading job=job1 subdevice=SB00000001\/test1 version=2.0.0 percent=0/,
    /info  firmware job downloading job=job1 subdevice=SB00000001\/test1 version=2.0.0 percent=100/,
    /info  firmware job delivering job=job1 subdevice=SB00000001\/test1 version=2.0.0 percent=40/,
    /info  firmware job done job=job1/,
    /info  firmware version reported device=SB00000001\/test1 version=2.0.0/,
    /debug message up topic=\$gateway\/operation\/GW00000001\/gw1 bytes=\d+ payload=.*\\"signature\\":\\"\*\*\*\\"/,
    /info  device disconnected device=GW00000001\/gw1/,
  ];
  for (const pattern of expected) t.regex(logs, pattern);
  const secrets = [
    ...[GW, SUB1, SUB2].flatMap((d) => [d.deviceSecret, Buffer.from(d.deviceSecret, 'base64').toString('utf8')]),
    NEW_SECRET,
    Buffer.from(NEW_SECRET, 'base64').toString('utf8'),
    creds.password,
    creds.password.split(';')[0] ?? '',
    wrong.password.split(';')[0] ?? '',
    goodBind.signature,
    badBind.signature,
    sig,
    token,
  ];
  for (const secret of secrets) {
    t.true(secret.length >= 8, 'a real secret');
    t.false(logs.includes(secret), `a secret in the log: ${secret.slice(0, 4)}…`);
  }
  // stdout says the token exactly where it should: the token and console lines at start.
  t.is(all.split(token).length - 1, 2);
});
