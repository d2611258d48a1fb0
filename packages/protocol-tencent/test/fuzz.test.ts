import test from 'ava';
import {
  decodeGatewayReply,
  decodeGatewayRequest,
  decodeOtaDeviceMessage,
  decodeOtaHubMessage,
  encodeGatewayReply,
  encodeGatewayRequest,
  encodeReportProgress,
  encodeUpdateFirmware,
  parseTopic,
  verifyKeyAuth,
} from '../src/index.js';

// mulberry32: small, seeded, reproducible.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const P = { productId: 'ABCDEFGHIJ', deviceName: 'sub1' };
const seeds = [
  encodeGatewayRequest({ type: 'online', devices: [P] }),
  encodeGatewayRequest({
    type: 'bind',
    devices: [{ subdevice: P, signature: 'sig=', random: 1, timestamp: 2, signMethod: 'hmacsha256', authType: 'psk' }],
  }),
  encodeGatewayReply({ type: 'unbind', devices: [{ subdevice: P, result: -1 }] }),
  encodeGatewayReply({ type: 'describe_sub_devices', devices: [P] }),
  encodeGatewayReply({ type: 'change', status: 1, devices: [P] }),
  encodeReportProgress({ state: 'fail', version: '1', code: -3, message: 'x' }),
  encodeReportProgress({ state: 'downloading', version: '1', percent: 3 }),
  encodeUpdateFirmware({ version: '1', url: 'https://a/b', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 3 }),
];
const tokens = ['{', '}', '[', ']', '"', ':', ',', 'null', 'true', '-1', '"-2"', '1e999', '"type"', '"devices"', '"payload"', '\\u0000', '__proto__'];
const enc = new TextEncoder();

function mutate(rand: () => number, text: string): string {
  let s = text;
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const op = rand();
    if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 8));
    else if (op < 0.6) s = s.slice(0, at) + (tokens[Math.floor(rand() * tokens.length)] ?? '') + s.slice(at);
    else if (op < 0.8) s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x3000)) + s.slice(at + 1);
    else s = s.slice(0, at) + s.slice(at).replace(/-?\d+/, String(Math.floor(rand() * 2e9) - 1e9));
  }
  return s;
}

function randomBytes(rand: () => number): Uint8Array {
  const bytes = new Uint8Array(Math.floor(rand() * 64));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  return bytes;
}

test('decoders never throw on 100k random and mutated payloads', (t) => {
  const rand = prng(0x10762);
  const decoders = [decodeGatewayReply, decodeGatewayRequest, decodeOtaDeviceMessage, decodeOtaHubMessage];
  let accepted = 0;
  let refused = 0;
  const started = Date.now();
  for (let i = 0; i < 100_000; i++) {
    const kind = i % 3;
    const seed = seeds[i % seeds.length] ?? '';
    const payload: string | Uint8Array =
      kind === 0 ? mutate(rand, seed) : kind === 1 ? randomBytes(rand) : enc.encode(mutate(rand, seed));
    for (const decode of decoders) {
      const r = decode(payload);
      if (r.ok) accepted++;
      else {
        refused++;
        if (r.error.code !== 'hub.protocol') t.fail(`wrong error code ${r.error.code}`);
      }
    }
    if (typeof payload === 'string') {
      parseTopic(payload);
      verifyKeyAuth({ clientId: 'a', username: payload, password: payload, deviceSecret: 'c2VjcmV0' });
    }
  }
  t.true(accepted > 0, 'some mutations stay valid');
  t.true(refused > 0);
  t.log(`${accepted} accepted, ${refused} refused in ${Date.now() - started} ms`);
});
