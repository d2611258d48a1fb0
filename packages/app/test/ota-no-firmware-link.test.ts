import 'reflect-metadata';
import test from 'ava';
import { MemoryStateStore } from '@iotgw/testkit';
import { failReports, harness, progressStates, SUB_A, SUB_B, until } from './support/harness.js';
import { IMAGE, seedJob, URL_V2 } from './support/ota.js';

const noFirmware = { capabilities: { supportsFirmware: false } };

test('an update for a subdevice on a link that cannot deliver firmware is reported fail -5 at once, with the reason, and never downloaded', async (t) => {
  // link0 cannot carry firmware (a Modbus link); link1 can.
  const h = await harness({ linkOptions: [noFirmware, {}] });
  await h.gateway.start();
  h.links[0]!.attach(SUB_A, 'unknown');
  h.links[1]!.attach(SUB_B, '1.0.0');
  await until(() => progressStates(h.hub, SUB_A).length === 1 && progressStates(h.hub, SUB_B).length === 1, 'versions reported');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => failReports(h.hub, SUB_A).length === 1, 'refused');
  t.deepEqual(progressStates(h.hub, SUB_A), ['version unknown', 'fail -5'], 'no downloading, no burning: only the verdict');
  const [fail] = failReports(h.hub, SUB_A);
  t.is(fail?.version, '2.0.0');
  t.is(fail?.message, "refused by the gateway: PRODUCTAAA/sensor-a is reached over link link0, which cannot deliver firmware: update it with its maker's tool");
  t.deepEqual(h.firmware.starts, [], 'nothing downloaded');
  t.is(h.gateway.service.ota.jobOf(SUB_A), undefined, 'no job kept');
  t.true(h.logger.lines.some((l) => l.level === 'warn' && l.message.includes('cannot deliver firmware')));
  // The other link's subdevice is updated as usual.
  h.hub.pushFirmwareUpdate(SUB_B, job);
  await until(() => progressStates(h.hub, SUB_B).includes('version 2.0.0'), 'SUB_B updated');
  await h.idle();
  await h.gateway.dispose();
});

test('a job persisted by an earlier run, resumed for a subdevice now on such a link, fails -5 before any download', async (t) => {
  const store = new MemoryStateStore();
  const h = await harness({ linkOptions: [noFirmware], store });
  await seedJob(store, SUB_A, h.firmware.addImage(URL_V2, IMAGE, '2.0.0'), { phase: 'downloading' });
  h.links[0]!.attach(SUB_A, 'unknown'); // announced as soon as the link starts, before the job resumes
  await h.gateway.start();
  await until(() => failReports(h.hub, SUB_A).length === 1, 'failed');
  await h.idle();
  t.regex(failReports(h.hub, SUB_A)[0]?.message ?? '', /^PRODUCTAAA\/sensor-a is reached over link link0, which cannot deliver firmware/);
  t.deepEqual(h.firmware.starts, []);
  t.deepEqual(store.snapshot(), {}, 'the job is over and forgotten');
  await h.gateway.dispose();
});
