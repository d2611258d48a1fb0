import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubProtocolError, LinkError } from '@iotgw/domain';
import { HubEmulator } from '@iotgw/hub-emulator';
import { HubLogUploader } from '../src/index.js';

const GW = { productId: 'GW00000001', deviceName: 'gw1' };
const SECRET = Buffer.from('log-upload-gateway-secret').toString('base64');

async function hubWithGateway(t: import('ava').ExecutionContext): Promise<HubEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-logup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify({ devices: [{ ...GW, deviceSecret: SECRET, gateway: true }], bindings: [] }));
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, host: '127.0.0.1', registryPath });
  t.teardown(() => hub.close());
  return hub;
}

test('uploaded lines reach the hub, which checks the signature against the device secret', async (t) => {
  const hub = await hubWithGateway(t);
  const uploader = new HubLogUploader({ gateway: GW, deviceSecret: SECRET, url: `${hub.urls.http}/device/reportlog` });
  await uploader.upload(
    [
      { level: 'warn', time: Date.UTC(2026, 10, 30, 9, 0, 0), tag: 'link 0', text: 'subdevice detached' },
      { level: 'error', time: Date.UTC(2026, 10, 30, 9, 0, 1), tag: 'hub', text: 'connection lost' },
    ],
    { timeoutMs: 5000 },
  );
  t.deepEqual(
    hub.core.services.uploadedLogs.items.map((l) => [l.device, l.line]),
    [
      ['GW00000001/gw1', 'WRN|2026-11-30 09:00:00|link 0|subdevice detached'],
      ['GW00000001/gw1', 'ERR|2026-11-30 09:00:01|hub|connection lost'],
    ],
  );
});

test('a wrong secret is refused by the hub with its code; the secret is in no error', async (t) => {
  const hub = await hubWithGateway(t);
  const wrong = Buffer.from('not-the-secret').toString('base64');
  const uploader = new HubLogUploader({ gateway: GW, deviceSecret: wrong, url: `${hub.urls.http}/device/reportlog` });
  const error = await t.throwsAsync(uploader.upload([{ level: 'error', time: 0, tag: 'x', text: 'y' }], { timeoutMs: 5000 }), { instanceOf: HubProtocolError });
  t.regex(error?.message ?? '', /AuthFailure\.SignatureFailure/);
  t.false((error?.message ?? '').includes(wrong));
  t.is(hub.core.services.uploadedLogs.total, 0);
});

test('an unreachable hub is a LinkError, and a deadline holds', async (t) => {
  const uploader = new HubLogUploader({ gateway: GW, deviceSecret: SECRET, url: 'http://127.0.0.1:9/device/reportlog' });
  await t.throwsAsync(uploader.upload([{ level: 'error', time: 0, tag: 'x', text: 'y' }], { timeoutMs: 5000 }), { instanceOf: LinkError });
});
