import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { OtaJobRecord } from '../src/index.js';
import { connectGateway, startHub, sub, SUB1 } from './helpers.js';

// Written from the fact sheet (protocol.md §5) with raw JSON strings, not the codec, so the
// emulator is checked against the documented wire format.
const UPDATE = '$ota/update/SB00000001/test1';
const REPORT = '$ota/report/SB00000001/test1';
const progress = (state: string, extra: Record<string, string>, version: string) =>
  JSON.stringify({ type: 'report_progress', report: { progress: { state, result_code: '0', result_msg: '', ...extra }, version } });

/** What the hub sends on the update topic: all of it, and the next message of a type. */
function updatesTo(client: MqttClient): { inbox: any[]; next: (type: string) => Promise<any> } {
  const inbox: any[] = [];
  const waiters: Array<[string, (m: any) => void]> = [];
  client.on('message', (topic, payload) => {
    if (topic !== UPDATE) return;
    const m = JSON.parse(payload.toString());
    inbox.push(m);
    const i = waiters.findIndex(([type]) => type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]![1](m);
  });
  return { inbox, next: (type) => new Promise<any>((resolve) => waiters.push([type, resolve])) };
}

test('full OTA: report_version → rsp, update_firmware, ranged download, progress, burning, done', async (t) => {
  const fx = await startHub();
  try {
    const image = randomBytes(64 * 1024);
    const path = join(fx.dir, 'fw-2.0.0.bin');
    await writeFile(path, image);
    const fw = await fx.hub.registerFirmware({ path, version: '2.0.0' });

    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const { next } = updatesTo(gw.client);
    await gw.client.subscribeAsync(UPDATE, { qos: 1 });

    const rsp = next('report_version_rsp');
    await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"1.0.0"}}', { qos: 1 });
    t.deepEqual(await rsp, { result_code: 0, result_msg: 'success', type: 'report_version_rsp', version: '1.0.0' });
    t.is(fx.hub.core.reportedVersions.get('SB00000001/test1'), '1.0.0');

    const update = next('update_firmware');
    const job = await fx.hub.core.pushFirmware({ subdevice: 'SB00000001/test1', firmwareId: fw.id });
    const command = await update;
    t.is(command.version, '2.0.0');
    t.is(command.file_size, image.length);
    t.is(command.md5sum, createHash('md5').update(image).digest('hex'));
    t.regex(command.url, /^http:\/\/127\.0\.0\.1:\d+\/firmware\/.+\?expires=\d+&sig=[\w-]+$/);

    // Download in two ranged halves like an SDK resuming, reporting progress as strings.
    await gw.client.publishAsync(REPORT, progress('downloading', { percent: '0' }, '2.0.0'), { qos: 0 });
    const half = image.length / 2;
    const first = Buffer.from(await (await fetch(command.url, { headers: { Range: `bytes=0-${half - 1}` } })).arrayBuffer());
    await gw.client.publishAsync(REPORT, progress('downloading', { percent: '50' }, '2.0.0'), { qos: 0 });
    const second = Buffer.from(await (await fetch(command.url, { headers: { Range: `bytes=${half}-${image.length}` } })).arrayBuffer());
    const downloaded = Buffer.concat([first, second]);
    t.is(createHash('md5').update(downloaded).digest('hex'), command.md5sum);
    await gw.client.publishAsync(REPORT, progress('downloading', { percent: '100' }, '2.0.0'), { qos: 0 });
    await gw.client.publishAsync(REPORT, progress('burning', {}, '2.0.0'), { qos: 1 });

    const finished = new Promise<OtaJobRecord>((resolve) => fx.hub.core.on('ota', (j) => j.id === job.id && j.state === 'done' && resolve(j)));
    await gw.client.publishAsync(REPORT, progress('done', {}, '2.0.0'), { qos: 1 });
    const done = await finished;
    t.deepEqual(done.reports.map((r) => r.report.state), ['downloading', 'downloading', 'downloading', 'burning', 'done']);
    t.deepEqual(done.reports.filter((r) => r.report.state === 'downloading').map((r) => (r.report as { percent: number }).percent), [0, 50, 100]);
    t.is(done.percent, 100);

    const rsp2 = next('report_version_rsp');
    await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"2.0.0"}}', { qos: 1 });
    t.is((await rsp2).version, '2.0.0');
  } finally {
    await fx.cleanup();
  }
});

test('a fail report records the code and message as the final state; later reports do not reopen it', async (t) => {
  const fx = await startHub();
  try {
    const path = join(fx.dir, 'fw.bin');
    await writeFile(path, randomBytes(100));
    const fw = await fx.hub.registerFirmware({ path, version: '3.0.0' });
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const job = await fx.hub.core.pushFirmware({ subdevice: 'SB00000001/test1', firmwareId: fw.id });
    const failed = new Promise<OtaJobRecord>((resolve) => fx.hub.core.on('ota', (j) => j.id === job.id && j.reports.length === 2 && resolve(j)));
    await gw.client.publishAsync(REPORT, progress('fail', { result_code: '-4', result_msg: 'md5 mismatch' }, '3.0.0'), { qos: 1 });
    await gw.client.publishAsync(REPORT, progress('downloading', { percent: '10' }, '3.0.0'), { qos: 0 });
    const record = await failed;
    t.is(record.state, 'fail');
    t.is(record.failCode, -4);
    t.is(record.failMessage, 'md5 mismatch');
  } finally {
    await fx.cleanup();
  }
});

test('a push the device never took up is pushed again (fresh link) when it reports another version; not once it is under way', async (t) => {
  const fx = await startHub();
  try {
    const path = join(fx.dir, 'fw.bin');
    await writeFile(path, randomBytes(1000));
    const fw = await fx.hub.registerFirmware({ path, version: '2.0.0' });
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    // Pushed while nobody follows the update topic (a gateway that let go of it): lost on the wire.
    const job = await fx.hub.core.pushFirmware({ subdevice: 'SB00000001/test1', firmwareId: fw.id });
    const { inbox, next } = updatesTo(gw.client);
    await gw.client.subscribeAsync(UPDATE, { qos: 1 });

    const again = next('update_firmware');
    await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"1.0.0"}}', { qos: 1 });
    const command = await again;
    t.deepEqual(inbox.map((m) => m.type), ['report_version_rsp', 'update_firmware'], 'the answer to the report first, then the update');
    t.like(command, { version: '2.0.0', md5sum: job.md5, file_size: 1000 });
    t.is(command.url, fx.hub.core.jobs.find((j) => j.id === job.id)?.url, 'the job keeps the link it pushed last');
    t.is((await fetch(command.url)).status, 200);

    // Under way: another report does not restart it; nor does a report of the job's own version.
    const started = new Promise<void>((resolve) => fx.hub.core.on('ota', (j) => j.id === job.id && j.state === 'downloading' && resolve()));
    await gw.client.publishAsync(REPORT, progress('downloading', { percent: '0' }, '2.0.0'), { qos: 1 });
    await started;
    const rsp = next('report_version_rsp');
    await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"1.0.0"}}', { qos: 1 });
    await rsp;
    const fw3 = await fx.hub.registerFirmware({ path, version: '3.0.0' });
    const update3 = next('update_firmware');
    const job2 = await fx.hub.core.pushFirmware({ subdevice: 'SB00000001/test1', firmwareId: fw3.id });
    await update3;
    const rsp2 = next('report_version_rsp');
    await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"3.0.0"}}', { qos: 1 });
    await rsp2;
    // A push of the report above would follow its answer within a turn or two of the broker.
    await new Promise((r) => setTimeout(r, 300));
    t.deepEqual(
      inbox.filter((m) => m.type === 'update_firmware').map((m) => m.version),
      ['2.0.0', '3.0.0'],
      `no further push (jobs ${job.id}, ${job2.id})`,
    );
  } finally {
    await fx.cleanup();
  }
});

test('malformed OTA reports and progress for no job are counted as protocol errors', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const errors = new Promise<void>((resolve) => {
      let n = 0;
      fx.hub.core.on('protocolError', () => ++n === 2 && resolve());
    });
    await gw.client.publishAsync(REPORT, '{"type":"report_progress","report":{"progress":{"state":"downloading","percent":"x"},"version":"1"}}', { qos: 1 });
    await gw.client.publishAsync(REPORT, progress('done', {}, '9.9.9'), { qos: 1 });
    await errors;
    t.is(fx.hub.stats.protocolErrors, 2);
  } finally {
    await fx.cleanup();
  }
});

test('pushFirmware refuses an unknown firmware id or device', async (t) => {
  const fx = await startHub();
  try {
    await t.throwsAsync(fx.hub.core.pushFirmware({ subdevice: 'SB00000001/test1', firmwareId: 'nope' }), { code: 'validation.invalid' });
    const path = join(fx.dir, 'fw.bin');
    await writeFile(path, 'x');
    const fw = await fx.hub.registerFirmware({ path, version: '1' });
    await t.throwsAsync(fx.hub.core.pushFirmware({ subdevice: 'SB00000001/ghost', firmwareId: fw.id }), { code: 'validation.invalid' });
  } finally {
    await fx.cleanup();
  }
});

test('a gateway delivering to its subdevice: burning reports with a percent are the delivery leg, kept apart from the download percent', async (t) => {
  const fx = await startHub();
  try {
    const path = join(fx.dir, 'fw.bin');
    await writeFile(path, randomBytes(1000));
    const fw = await fx.hub.registerFirmware({ path, version: '3.0.0' });
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const job = await fx.hub.core.pushFirmware({ subdevice: 'SB00000001/test1', firmwareId: fw.id });
    const seen: Array<[string, number, number | undefined]> = [];
    const reached = (state: string, delivery?: number) =>
      new Promise<void>((resolve) => {
        const check = (j: OtaJobRecord): void => {
          if (j.id !== job.id || j.state !== state || j.deliveryPercent !== delivery) return;
          fx.hub.core.off('ota', check);
          resolve();
        };
        fx.hub.core.on('ota', check);
      });
    fx.hub.core.on('ota', (j) => j.id === job.id && seen.push([j.state, j.percent, j.deliveryPercent]));
    // The download's 100 is QoS 0 and may be lost: delivery starting still means the download is complete.
    await gw.client.publishAsync(REPORT, progress('downloading', { percent: '60' }, '3.0.0'), { qos: 1 });
    let next = reached('burning', 25);
    await gw.client.publishAsync(REPORT, progress('burning', { percent: '25' }, '3.0.0'), { qos: 1 });
    await next;
    next = reached('burning', 80);
    await gw.client.publishAsync(REPORT, progress('burning', { percent: '80' }, '3.0.0'), { qos: 1 });
    await next;
    next = reached('done', 100);
    await gw.client.publishAsync(REPORT, progress('done', {}, '3.0.0'), { qos: 1 });
    await next;
    t.deepEqual(seen, [
      ['downloading', 60, undefined],
      ['burning', 100, 25],
      ['burning', 100, 80],
      ['done', 100, 100],
    ]);
  } finally {
    await fx.cleanup();
  }
});
