import test from 'ava';
import { loggablePayload } from '../src/loggable-payload.js';

test('secrets are masked in JSON values and URL queries, even when the cut falls inside one', (t) => {
  t.is(loggablePayload('{"type":"bind","signature":"ZYbEM1rnkGPXtCGBLtAjP5Hf6iw=","random":1}'), '{"type":"bind","signature":"***","random":1}');
  t.is(loggablePayload('{"url":"http://h/firmware/fw1?expires=1&sig=abcDEF_-123"}'), '{"url":"http://h/firmware/fw1?expires=1&sig=***"}');
  t.is(loggablePayload(Buffer.from('{"deviceSecret":"c2VjcmV0", "password" : "p;hmacsha1"}')), '{"deviceSecret":"***", "password" : "***"}');
  const long = `${'x'.repeat(180)}{"signature":"ZYbEM1rnkGPXtCGBLtAjP5Hf6iw="}`;
  const shown = loggablePayload(long);
  t.false(shown.includes('ZYbE'), shown);
  t.true(shown.endsWith('…'));
});

test('at most 200 characters are shown, marked when cut; short payloads are shown whole', (t) => {
  t.is(loggablePayload('{"t":21.5}'), '{"t":21.5}');
  const shown = loggablePayload(Buffer.alloc(5000, 0x61));
  t.is(shown, `${'a'.repeat(200)}…`);
});
