import test from 'ava';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { adminCall, connectGateway, startHub, sub, SUB1 } from './helpers.js';

const call = adminCall;

test('lists devices without secrets, bindings and online state', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const devices = await call(fx.hub, 'GET', '/api/devices');
    t.is(devices.status, 200);
    t.false(JSON.stringify(devices.json).includes('deviceSecret'));
    t.like(devices.json.devices.find((d: any) => d.deviceName === 'test1'), { online: true, boundTo: 'GW00000001/gw1', gateway: false });
    t.deepEqual((await call(fx.hub, 'GET', '/api/bindings')).json.bindings, [{ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/test1' }]);
    t.deepEqual((await call(fx.hub, 'GET', '/api/online')).json.online.sort(), ['GW00000001/gw1', 'SB00000001/test1']);
  } finally {
    await fx.cleanup();
  }
});

test('add device, bind, unbind, send data, register and push firmware, list jobs', async (t) => {
  const fx = await startHub(undefined, { firmwareDir: tmpdir() });
  try {
    const gw = await connectGateway(fx);
    t.is((await call(fx.hub, 'POST', '/api/devices', { productId: 'SB00000002', deviceName: 'new1', deviceSecret: 'c2VjcmV0' })).status, 201);
    const change = gw.next('change');
    t.deepEqual((await call(fx.hub, 'POST', '/api/bind', { gateway: 'GW00000001/gw1', subdevice: 'SB00000002/new1' })).json, { changed: true });
    t.is((await change).payload.status, 1);
    const unchange = gw.next('change');
    t.deepEqual((await call(fx.hub, 'POST', '/api/unbind', { gateway: 'GW00000001/gw1', subdevice: 'SB00000002/new1' })).json, { changed: true });
    t.is((await unchange).payload.status, 0);

    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    await gw.client.subscribeAsync(['SB00000001/test1/data', '$ota/update/SB00000001/test1'], { qos: 1 });
    const down = new Promise<string>((resolve) => gw.client.on('message', (topic, p) => topic === 'SB00000001/test1/data' && resolve(p.toString())));
    t.is((await call(fx.hub, 'POST', '/api/data', { device: 'SB00000001/test1', payload: { led: 'on' } })).status, 200);
    t.is(await down, '{"led":"on"}');

    const path = join(fx.dir, 'fw.bin');
    await writeFile(path, 'firmware-bytes');
    // Inside the firmware directory (the fixture's dir is in the temp dir), named relative to it.
    const fw = await call(fx.hub, 'POST', '/api/firmware', { path: relative(tmpdir(), path), version: '1.1.0' });
    t.is(fw.status, 201);
    t.is(fw.json.firmware.size, 14);
    const update = new Promise<any>((resolve) => gw.client.on('message', (topic, p) => topic.startsWith('$ota/update') && resolve(JSON.parse(p.toString()))));
    const pushed = await call(fx.hub, 'POST', '/api/ota', { subdevice: 'SB00000001/test1', firmwareId: fw.json.firmware.id });
    t.is(pushed.status, 201);
    t.is((await update).version, '1.1.0');
    t.is((await call(fx.hub, 'GET', '/api/ota')).json.jobs.length, 1);
  } finally {
    await fx.cleanup();
  }
});

test('bad requests are 400 with a message naming the problem; unknown routes 404', async (t) => {
  const fx = await startHub();
  try {
    const bad = await call(fx.hub, 'POST', '/api/devices', { productId: 'lower', deviceName: 'x', deviceSecret: 's' });
    t.is(bad.status, 400);
    t.regex(bad.json.error, /product id/);
    t.is((await call(fx.hub, 'POST', '/api/bind', { gateway: 'GW00000001/gw1', subdevice: 'SB00000001/ghost' })).status, 400);
    t.is((await call(fx.hub, 'POST', '/api/ota', { subdevice: 'SB00000001/test1' })).status, 400);
    t.is((await call(fx.hub, 'POST', '/api/faults', { cutAfterBytes: -1 })).status, 400);
    t.is((await call(fx.hub, 'GET', '/api/nothing')).status, 404);
  } finally {
    await fx.cleanup();
  }
});

test('a device secret that is not base64 is refused with 400, the registry untouched, the secret not echoed', async (t) => {
  const fx = await startHub();
  try {
    const bad = await call(fx.hub, 'POST', '/api/devices', { productId: 'SB00000002', deviceName: 'new1', deviceSecret: 'not base64 !!' });
    t.is(bad.status, 400);
    t.is(bad.json.code, 'validation.invalid');
    t.regex(bad.json.error, /deviceSecret is not base64/);
    t.false(bad.json.error.includes('not base64 !!'));
    t.is(fx.hub.registry.get('SB00000002', 'new1'), undefined);
  } finally {
    await fx.cleanup();
  }
});

test('fault knobs can be set over the API', async (t) => {
  const fx = await startHub();
  try {
    const res = await call(fx.hub, 'POST', '/api/faults', { fail500Count: 3, throttleBytesPerSec: 1000 });
    t.deepEqual(res.json.faults, { fail500Count: 3, throttleBytesPerSec: 1000 });
    t.is(fx.hub.firmwareFaults.fail500Count, 3);
  } finally {
    await fx.cleanup();
  }
});

test('firmware upload (PUT raw body) registers it with md5 and size, and it downloads back', async (t) => {
  const fx = await startHub();
  try {
    const body = Buffer.from('uploaded-image-bytes-0123456789');
    const upload = { 'content-type': 'application/octet-stream', authorization: `Bearer ${fx.hub.adminToken}` };
    const res = await fetch(`${fx.hub.urls.http}/api/firmware?version=4.0.0`, { method: 'PUT', body, headers: upload });
    t.is(res.status, 201);
    const { firmware } = (await res.json()) as any;
    t.like(firmware, { version: '4.0.0', size: body.length, md5: createHash('md5').update(body).digest('hex') });
    const download = await fetch(`${fx.hub.urls.http}${fx.hub.firmwareHttp.pathFor(firmware.id, 60)}`);
    t.true(Buffer.from(await download.arrayBuffer()).equals(body));
    t.is((await fetch(`${fx.hub.urls.http}/api/firmware?version=`, { method: 'PUT', body, headers: upload })).status, 400);
  } finally {
    await fx.cleanup();
  }
});
