import test from 'ava';
import winston from 'winston';
import { REDACTED, HubLogUpload, LogCapture, RemoteConfiguration, WinstonLogger } from '../src/index.js';
import { CapturingLogger, FakeHub, ManualClock } from '@iotgw/testkit';
import type { LogUploader, UploadLogLine } from '@iotgw/domain';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class RecordingUploader implements LogUploader {
  readonly batches: UploadLogLine[][] = [];
  failNext = 0;
  upload(lines: readonly UploadLogLine[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('hub said no'));
    }
    this.batches.push([...lines]);
    return Promise.resolve();
  }
}

function rig() {
  const hub = new FakeHub();
  const clock = new ManualClock();
  const capture = new LogCapture({ now: () => clock.now() });
  // No console here: the capture is the only output.
  const logger = new WinstonLogger({ level: 'info', capture, transports: [], pretty: false });
  const uploader = new RecordingUploader();
  const upload = new HubLogUpload({ hub, uploader, capture, clock, logger: new CapturingLogger(), onLevel: (l) => logger.setCaptureLevel(l), intervalMs: 30_000 });
  return { hub, clock, capture, logger, uploader, upload };
}

test('log upload: nothing leaves while the hub says none; at warn, warn and error lines go every interval, redacted', async (t) => {
  const r = rig();
  await r.hub.connect();
  r.upload.start();
  await tick();
  t.is(r.hub.requests.logLevel, 1, 'asked at start');
  r.logger.error('boom');
  await r.clock.advance(30_000);
  t.is(r.uploader.batches.length, 0, 'level none: no upload');
  r.hub.changeLogLevel('warn');
  await tick();
  r.logger.info('not at warn');
  r.logger.warn('link lost', { component: 'link 0' });
  r.logger.error('bind refused deviceSecret=c2VjcmV0', { password: 'hunter2' });
  await r.clock.advance(30_000);
  t.is(r.uploader.batches.length, 1);
  const lines = r.uploader.batches[0]!;
  // 'boom' came before the hub's first answer: errors are kept until the hub says otherwise.
  t.deepEqual(lines.map((l) => [l.level, l.tag, l.text.slice(0, 9)]), [['error', 'gateway', 'boom'], ['warn', 'link 0', 'link lost'], ['error', 'gateway', 'bind refu']]);
  t.false(JSON.stringify(lines).includes('c2VjcmV0'));
  t.false(JSON.stringify(lines).includes('hunter2'));
  t.true(JSON.stringify(lines).includes(REDACTED));
  t.false(lines.some((l) => l.text.includes('not at warn')));
  await r.upload.stop();
});

test('log upload: at debug the logger produces debug lines for the hub while the console stays at info', (t) => {
  const r = rig();
  const printed: string[] = [];
  const seen = new winston.transports.Console();
  seen.log = (info: { message: string }, next: () => void) => {
    printed.push(info.message);
    next();
  };
  const logger = new WinstonLogger({ level: 'info', capture: r.capture, transports: [seen], pretty: false });
  logger.debug('before: produced for nobody');
  logger.setCaptureLevel('debug');
  logger.debug('for the hub only');
  logger.info('for both');
  t.deepEqual(printed, ['for both']);
  t.deepEqual(r.capture.take('debug', 10).map((l) => l.text), ['for the hub only', 'for both']);
  logger.setCaptureLevel('none');
  logger.error('kept for nobody');
  t.is(r.capture.size, 0);
});

test('log upload: a failed upload keeps its lines for the next one; the capture is bounded and counts what it dropped', async (t) => {
  const r = rig();
  await r.hub.connect();
  r.upload.start();
  r.hub.changeLogLevel('error');
  await tick();
  r.logger.error('one');
  r.uploader.failNext = 1;
  await r.clock.advance(30_000);
  t.is(r.uploader.batches.length, 0);
  r.logger.error('two');
  await r.clock.waitForSleepers(1);
  await r.clock.advance(30_000);
  t.deepEqual(r.uploader.batches.map((b) => b.map((l) => l.text)), [['one', 'two']]);
  t.is(r.upload.uploaded, 2);
  await r.upload.stop();

  const small = new LogCapture({ maxLines: 3 });
  const logger = new WinstonLogger({ level: 'error', capture: small, transports: [], pretty: false });
  logger.setCaptureLevel('error');
  for (let i = 0; i < 10; i++) logger.error(`line ${i}`);
  t.is(small.size, 3);
  t.is(small.dropped, 7);
  t.deepEqual(small.take('error', 10).map((l) => l.text), ['line 7', 'line 8', 'line 9']);
});

test('remote config: asked at connect; a valid document applied once and reported; a bad one refused and reported; 1001 said once', async (t) => {
  const hub = new FakeHub();
  const logger = new CapturingLogger();
  const applied: unknown[] = [];
  const remote = new RemoteConfiguration({
    hub,
    logger,
    apply: (config) => {
      if (config.logLevel === 'loud') return Promise.resolve({ ok: false, message: 'logLevel: must be one of debug, info, warn, error' });
      applied.push(config);
      return Promise.resolve({ ok: true, message: 'logLevel applied now' });
    },
  });
  hub.remoteConfig = { logLevel: 'debug' };
  await hub.connect();
  remote.start();
  await tick();
  await remote.idle();
  t.is(hub.requests.remoteConfig, 1);
  t.deepEqual(applied, [{ logLevel: 'debug' }]);
  hub.pushRemoteConfig({ logLevel: 'debug' });
  await tick();
  await remote.idle();
  t.is(applied.length, 1, 'the same document is applied once');
  hub.pushRemoteConfig({ logLevel: 'loud' });
  await tick();
  await remote.idle();
  const reports = hub.gatewayEvents.map((p) => JSON.parse(new TextDecoder().decode(p)) as { type: string; result: number; message: string });
  t.deepEqual(reports.map((r) => [r.type, r.result]), [['config_result', 0], ['config_result', 1]]);
  t.regex(reports[1]!.message, /logLevel: must be one of/);
  hub.remoteConfigEnabled = false;
  hub.disconnect();
  hub.reconnect();
  await tick();
  await remote.idle();
  hub.disconnect();
  hub.reconnect();
  await tick();
  await remote.idle();
  t.is(logger.text().match(/disabled for this product/g)?.length, 1);
  await remote.stop();
});

test('setLevel changes what the console prints at runtime; the capture keeps its own level', (t) => {
  const printed: string[] = [];
  const seen = new winston.transports.Console();
  seen.log = (info: { message: string }, next: () => void) => {
    printed.push(info.message);
    next();
  };
  const capture = new LogCapture();
  const logger = new WinstonLogger({ level: 'warn', capture, transports: [seen], pretty: false });
  logger.setCaptureLevel('error');
  t.is(logger.level, 'warn');
  logger.info('quiet');
  logger.setLevel('debug');
  t.is(logger.level, 'debug', 'the level says what setLevel set');
  logger.debug('now printed');
  logger.setLevel('error');
  logger.warn('quiet again');
  t.deepEqual(printed, ['now printed']);
  t.is(capture.take('debug', 10).length, 0, 'the capture stayed at error');
});
