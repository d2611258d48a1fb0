import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { CancelledError, ConfigError, subdeviceId } from '@iotgw/domain';
import { EnvOrFileSecretStore, REDACTED, SystemClock, WinstonLogger, redact, secretEnvName } from '../src/index.js';

const SUB = subdeviceId('PRODUCTAAA', 'sensor-a');

function capture(pretty: boolean): { logger: WinstonLogger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8').trim());
      done();
    },
  });
  const logger = new WinstonLogger({ pretty, level: 'debug', transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines };
}

test('JSON logs: one object per line with the context; secret keys and values redacted', (t) => {
  const { logger, lines } = capture(false);
  logger.child({ subdevice: 'PRODUCTAAA/sensor-a' }).info('bind sent', { deviceSecret: 'c2VjcmV0', signature: 'abc=', hubCode: 0 });
  logger.warn('login failed with password=hunter2 and "secret":"s3cr3t"');
  logger.error('sig', { password: 'x', note: 'signature: deadbeef' });
  logger.debug('debug line');
  const [first, second, third] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(first?.['subdevice'], 'PRODUCTAAA/sensor-a');
  t.is(first?.['deviceSecret'], REDACTED);
  t.is(first?.['signature'], REDACTED);
  t.is(first?.['hubCode'], 0);
  t.is(first?.['level'], 'info');
  t.regex(String(second?.['message']), /password=\[redacted\]/);
  t.notRegex(lines.join('\n'), /hunter2|s3cr3t|c2VjcmV0|deadbeef|abc=/);
  t.is(third?.['password'], REDACTED);
  t.is(lines.length, 4);
});

test('pretty logs: human-readable level, message and context, still redacted', (t) => {
  const { logger, lines } = capture(true);
  logger.info('subdevice online', { subdevice: 'PRODUCTAAA/sensor-a', secret: 'nope' });
  t.regex(lines[0] ?? '', /info\s+subdevice online subdevice=PRODUCTAAA\/sensor-a secret=\[redacted\]/);
  t.notRegex(lines[0] ?? '', /nope/);
});

test('redact handles nesting, arrays and cycles', (t) => {
  const cyclic: Record<string, unknown> = { a: [{ password: 'p' }], n: 1 };
  cyclic['self'] = cyclic;
  t.deepEqual(redact(cyclic), { a: [{ password: REDACTED }], n: 1, self: '[circular]' });
});

test('SystemClock: now is Date.now; sleep waits; an aborted sleep rejects with CancelledError', async (t) => {
  const clock = new SystemClock();
  t.true(Math.abs(clock.now() - Date.now()) < 50);
  const before = Date.now();
  await clock.sleep(20);
  t.true(Date.now() - before >= 15);
  await t.throwsAsync(clock.sleep(10, AbortSignal.abort()), { instanceOf: CancelledError });
  const controller = new AbortController();
  const pending = clock.sleep(10_000, controller.signal);
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: CancelledError });
});

test('EnvOrFileSecretStore: map first, then env, then the JSON file; undefined when nowhere', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-secrets-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'secrets.json');
  await writeFile(file, JSON.stringify({ 'PRODUCTAAA/sensor-b': 'from-file', 'PRODUCTAAA/sensor-a': 'file-a' }));
  t.is(secretEnvName(subdeviceId('PRODUCTAAA', 'valve:1')), 'IOTGW_SECRET_PRODUCTAAA_VALVE_1');
  const store = new EnvOrFileSecretStore({
    secrets: { 'PRODUCTAAA/sensor-a': 'from-map' },
    env: { IOTGW_SECRET_PRODUCTAAA_SENSOR_C: 'from-env' },
    file,
  });
  t.is(await store.secretFor(SUB), 'from-map');
  t.is(await store.secretFor(subdeviceId('PRODUCTAAA', 'sensor-c')), 'from-env');
  t.is(await store.secretFor(subdeviceId('PRODUCTAAA', 'sensor-b')), 'from-file');
  t.is(await store.secretFor(subdeviceId('PRODUCTAAA', 'sensor-z')), undefined);
  t.is(await new EnvOrFileSecretStore().secretFor(SUB), undefined);
  await t.throwsAsync(store.secretFor(SUB, { signal: AbortSignal.abort() }), { instanceOf: CancelledError });
});

test('EnvOrFileSecretStore: an unreadable or non-object file is a ConfigError that does not quote the content', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-secrets-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.json');
  await writeFile(bad, '{"PRODUCTAAA/sensor-a": "topsecret"');
  const e1 = await t.throwsAsync(new EnvOrFileSecretStore({ file: bad }).secretFor(SUB), { instanceOf: ConfigError });
  t.notRegex(e1?.message ?? '', /topsecret/);
  const arr = join(dir, 'arr.json');
  await writeFile(arr, '["x"]');
  await t.throwsAsync(new EnvOrFileSecretStore({ file: arr }).secretFor(SUB), { instanceOf: ConfigError, message: /JSON object/ });
});

test('a line below every output level does no work: its context is never read, for the logger or a child; setLevel brings it back', (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8').trim());
      done();
    },
  });
  const logger = new WinstonLogger({ pretty: false, level: 'info', transports: [new winston.transports.Stream({ stream })] });
  let reads = 0;
  const context = Object.defineProperty({}, 'subdevice', {
    enumerable: true,
    get: () => {
      reads += 1;
      return 'PRODUCTAAA/sensor-a';
    },
  }) as { readonly subdevice: string };
  for (let i = 0; i < 1_000; i++) {
    logger.debug('version report acknowledged', context);
    logger.child({ gateway: 'GW/gw1' }).debug('version report acknowledged', context);
  }
  t.is(reads, 0, 'not formatted, not redacted, not even read');
  t.is(lines.length, 0);
  logger.setLevel('warn');
  logger.info('info line', context);
  t.is(reads, 0, 'the same for info under warn');
  logger.setLevel('debug');
  logger.child({ gateway: 'GW/gw1' }).debug('version report acknowledged', context);
  t.true(reads > 0);
  t.is(lines.length, 1);
  t.is((JSON.parse(lines[0]!) as Record<string, unknown>)['subdevice'], 'PRODUCTAAA/sensor-a');
});
