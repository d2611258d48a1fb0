import test from 'ava';
import {
  configOperationResultTopic,
  decodeLogLevelMessage,
  decodeLogLevelRequest,
  decodeLogUpload,
  decodeRemoteConfigMessage,
  encodeLogLevelGet,
  encodeLogLevelMessage,
  encodeLogUpload,
  logOperationResultTopic,
  parseTopic,
  signDeviceHttpRequest,
} from '../src/index.js';

const GW = { productId: 'ABCDEFGHIJ', deviceName: 'dev1' };

test('the config and log topics of a device are recognised, the Java SDK spelling of the config request too', (t) => {
  t.deepEqual(parseTopic(configOperationResultTopic(GW)), { kind: 'config-operation-result', device: GW });
  t.deepEqual(parseTopic(logOperationResultTopic(GW)), { kind: 'log-operation-result', device: GW });
  t.deepEqual(parseTopic('$config/report/ABCDEFGHIJ/dev1'), { kind: 'config-operation', device: GW });
  t.deepEqual(parseTopic('$log/operation/ABCDEFGHIJ/dev1'), { kind: 'log-operation', device: GW });
});

test('remote config: a reply, a push without result (a success, as the C SDK reads it), a payload sent as a string, and refusals', (t) => {
  t.deepEqual(decodeRemoteConfigMessage('{"type":"reply","result":0,"payload":{"logLevel":"debug"}}'), {
    ok: true,
    value: { type: 'reply', result: 0, payload: { logLevel: 'debug' } },
  });
  t.deepEqual(decodeRemoteConfigMessage('{"type":"push","payload":{"a":1}}'), { ok: true, value: { type: 'push', result: 0, payload: { a: 1 } } });
  t.deepEqual(decodeRemoteConfigMessage('{"type":"reply","result":1001}'), { ok: true, value: { type: 'reply', result: 1001, payload: undefined } });
  t.deepEqual(decodeRemoteConfigMessage('{"type":"push","result":"0","payload":"{\\"a\\":2}"}'), { ok: true, value: { type: 'push', result: 0, payload: { a: 2 } } });
  t.false(decodeRemoteConfigMessage('{"type":"set","payload":{}}').ok);
  t.false(decodeRemoteConfigMessage('{"type":"push","payload":[1]}').ok);
  t.false(decodeRemoteConfigMessage('{"type":"push","payload":"not json"}').ok);
  t.false(decodeRemoteConfigMessage('not json').ok);
});

test('log level: the reply the console sends (C SDK doc log), the request, and out-of-range levels refused', (t) => {
  t.deepEqual(decodeLogLevelMessage('{"type":"get_log_level","clientToken":"PPXLSKBUPZ-**","log_level":4,"result":0,"timestamp":1619599073}'), {
    ok: true,
    value: { level: 'debug', result: 0, clientToken: 'PPXLSKBUPZ-**' },
  });
  t.false(decodeLogLevelMessage('{"type":"get_log_level","log_level":5}').ok);
  t.false(decodeLogLevelMessage('{"type":"get_log_level","log_level":"x"}').ok);
  t.deepEqual(decodeLogLevelRequest(encodeLogLevelGet('ABCDEFGHIJ-1')), { ok: true, value: { clientToken: 'ABCDEFGHIJ-1' } });
  const sent = encodeLogLevelMessage({ level: 'warn', result: 0, clientToken: 'ABCDEFGHIJ-1', timestamp: 1 });
  t.deepEqual(decodeLogLevelMessage(sent), { ok: true, value: { level: 'warn', result: 0, clientToken: 'ABCDEFGHIJ-1' } });
});

test('log upload: the body of the platform vector, byte for byte, and its signature with the device secret', (t) => {
  const body = encodeLogUpload(GW, [{ level: 'info', time: 1_700_000_000_000, tag: 'main', text: 'mqtt connect success.' }]);
  t.is(body, JSON.stringify({ DeviceName: 'dev1', Message: ['INF|2023-11-14 22:13:20|main|mqtt connect success.\n\f'], ProductId: 'ABCDEFGHIJ' }));
  const signature = signDeviceHttpRequest({ host: 'ap-guangzhou.gateway.tencentdevices.com', path: '/device/reportlog', body, secret: 'c2VjcmV0S2V5MTIzNDU2Nw==', timestamp: 1700000000, nonce: 12345 });
  t.is(signature, 'dL8YB4q3QSWSx5gEEjrE3Iuz0rNc3u/7nA1Yui6Ia0s=');
});

test('log upload: a line cannot break the framing; the hub side reads the lines back', (t) => {
  const body = encodeLogUpload(GW, [
    { level: 'warn', time: 0, tag: 'hub|x', text: 'two\nlines\f' },
    { level: 'error', time: 1000, tag: 'link', text: 'three' },
  ]);
  const read = decodeLogUpload(body);
  t.true(read.ok);
  if (read.ok) t.deepEqual(read.value.lines, ['WRN|1970-01-01 00:00:00|hub/x|two lines ', 'ERR|1970-01-01 00:00:01|link|three']);
});
