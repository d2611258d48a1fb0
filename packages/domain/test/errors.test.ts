import test from 'ava';
import {
  CancelledError,
  ConfigError,
  FirmwareError,
  FirmwareStorageError,
  GatewayError,
  HubAuthError,
  HubDisconnectedError,
  HubProtocolError,
  isGatewayError,
  LinkError,
  OTA_FAIL,
  SecretMissingError,
  StateCorruptError,
  TimeoutError,
  toGatewayError,
  ValidationError,
  type ErrorCode,
} from '../src/index.js';

test('every error is a GatewayError with a stable code and its class name', (t) => {
  const table: Array<[GatewayError, ErrorCode, string]> = [
    [new ValidationError('bad'), 'validation.invalid', 'ValidationError'],
    [new ConfigError('iotgw.serial.path', 'missing'), 'config.invalid', 'ConfigError'],
    [new CancelledError('bind'), 'operation.cancelled', 'CancelledError'],
    [new TimeoutError('bind', 10), 'operation.timed_out', 'TimeoutError'],
    [new HubDisconnectedError(), 'hub.disconnected', 'HubDisconnectedError'],
    [new HubAuthError('refused'), 'hub.auth_failed', 'HubAuthError'],
    [new HubProtocolError('junk'), 'hub.protocol', 'HubProtocolError'],
    [new FirmwareStorageError('disk full'), 'firmware.storage', 'FirmwareStorageError'],
    [new LinkError('link.protocol', 'bad frame'), 'link.protocol', 'LinkError'],
    [new StateCorruptError('ota/x', 'bad'), 'state.corrupt', 'StateCorruptError'],
    [new SecretMissingError('ABCDEFGHIJ/sub1'), 'secret.missing', 'SecretMissingError'],
  ];
  for (const [error, code, name] of table) {
    t.true(error instanceof GatewayError, name);
    t.true(error instanceof Error, name);
    t.true(isGatewayError(error), name);
    t.is(error.code, code, name);
    t.is(error.name, name);
    t.deepEqual(error.details, {}, name);
  }
});

test('messages name the value and what to do', (t) => {
  t.is(new ConfigError('iotgw.serial.path', 'is required').message, 'iotgw.serial.path: is required');
  t.is(new ConfigError('f', 'm').field, 'f');
  t.is(new CancelledError('online').message, 'online was cancelled');
  t.is(new TimeoutError('online', 250).message, 'online timed out after 250 ms');
  t.is(new TimeoutError('online', 250).timeoutMs, 250);
  t.is(new HubDisconnectedError().message, 'not connected to the hub');
  t.is(new StateCorruptError('ota/x', 'bad phase').message, 'state "ota/x": bad phase');
  t.regex(new SecretMissingError('ABCDEFGHIJ/sub1').message, /ABCDEFGHIJ\/sub1.*secret store/);
});

test('cancelled, timed out and disconnected are three different kinds', (t) => {
  const codes = new Set([new CancelledError('x').code, new TimeoutError('x', 1).code, new HubDisconnectedError().code]);
  t.is(codes.size, 3);
  t.false(new CancelledError('x') instanceof TimeoutError);
  t.false(new TimeoutError('x', 1) instanceof CancelledError);
});

test('the wire status is kept as data: otaCode, linkCode', (t) => {
  t.is(new LinkError('link.protocol', 'nak', { linkCode: 3 }).linkCode, 3);
  t.is(new LinkError('link.disconnected', 'gone').linkCode, undefined);
});

test('FirmwareError maps each OTA fail code to its error code', (t) => {
  const expected: Record<number, ErrorCode> = {
    [OTA_FAIL.downloadTimeout]: 'firmware.download_failed',
    [OTA_FAIL.fileNotFound]: 'firmware.not_found',
    [OTA_FAIL.authFailed]: 'firmware.forbidden',
    [OTA_FAIL.md5Mismatch]: 'firmware.md5_mismatch',
    [OTA_FAIL.upgradeFailed]: 'firmware.apply_failed',
  };
  t.deepEqual(Object.values(OTA_FAIL), [-1, -2, -3, -4, -5]);
  for (const code of Object.values(OTA_FAIL)) {
    const error = new FirmwareError(code, 'x');
    t.is(error.otaCode, code);
    t.is(error.code, expected[code]!);
  }
});

test('cause and details are kept', (t) => {
  const root = new Error('ECONNRESET');
  const error = new HubDisconnectedError('lost', { cause: root, details: { attempt: 2 } });
  t.is(error.cause, root);
  t.deepEqual(error.details, { attempt: 2 });
  t.false('cause' in new ValidationError('no cause'));
});

test('toGatewayError keeps GatewayErrors and wraps anything else as internal', (t) => {
  const own = new ValidationError('bad');
  t.is(toGatewayError(own), own);
  const wrapped = toGatewayError(new TypeError('boom'), 'while binding');
  t.is(wrapped.code, 'internal');
  t.is(wrapped.message, 'while binding: boom');
  t.true(wrapped.cause instanceof TypeError);
  const fromString = toGatewayError('just a string');
  t.is(fromString.message, 'unexpected error');
  t.is(fromString.cause, 'just a string');
  t.false(isGatewayError(new Error('plain')));
  t.false(isGatewayError('text'));
});
