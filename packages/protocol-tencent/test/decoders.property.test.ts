// Property-based tests (fast-check) of every decoder of what the hub sends: whatever arrives, a
// decoder answers with a value or a HubProtocolError (code `hub.protocol`) and never throws; what
// it accepts keeps the meaning the gateway relies on; and every message our encoders write comes
// back equal. A failing run prints its seed and the shrunk counterexample; replay it with
// `fc.assert(..., { seed, path })`.
import test from 'ava';
import fc from 'fast-check';
import { HubProtocolError, OTA_FAIL, type OtaReport, type SubdeviceId } from '@iotgw/domain';
import {
  dataTopic,
  decodeConfigRequest,
  decodeGatewayReply,
  decodeGatewayRequest,
  decodeLogLevelMessage,
  decodeLogLevelRequest,
  decodeLogUpload,
  decodeOtaDeviceMessage,
  decodeOtaHubMessage,
  decodeRemoteConfigMessage,
  encodeGatewayReply,
  encodeGatewayRequest,
  encodeReportProgress,
  encodeReportVersion,
  encodeReportVersionReply,
  encodeUpdateFirmware,
  gatewayOperationResultTopic,
  gatewayOperationTopic,
  otaReportTopic,
  otaUpdateTopic,
  parseJsonObject,
  parseKeyAuthUsername,
  parseTopic,
  shadowOperationResultTopic,
  shadowOperationTopic,
  verifyBindSignature,
  verifyKeyAuth,
  type DecodeResult,
  type GatewayReply,
  type GatewayRequest,
} from '../src/index.js';

/** Runs per property; `IOTGW_FUZZ_RUNS=100000 npx ava dist/test/decoders.property.test.js` digs deeper. */
const RUNS = Number(process.env['IOTGW_FUZZ_RUNS'] ?? 1_000);
const utf8 = new TextEncoder();

// ---------- arbitraries: valid pieces ----------

const productId = fc.stringMatching(/^[A-Z0-9]{10}$/);
const deviceName = fc.stringMatching(/^[A-Za-z0-9_\-.:@]{1,48}$/);
const subdevice: fc.Arbitrary<SubdeviceId> = fc.record({ productId, deviceName });
const devices = fc.array(subdevice, { maxLength: 12 });
const resultCode = fc.integer({ min: -1_000_000, max: 1_000_000 });
/** Versions as firmware vendors write them; nothing a stricter validator could refuse. */
const version = fc.stringMatching(/^[0-9]{1,3}(\.[0-9]{1,3}){0,3}(-[a-z0-9]{1,8})?$/).filter((v) => v.length <= 32);
const md5 = fc.stringMatching(/^[0-9a-f]{32}$/);
const url = fc.webUrl({ validSchemes: ['https', 'http'], withQueryParameters: true }).filter((u) => u.length <= 4096 && !/\s/.test(u));
const failCode = fc.constantFrom(...Object.values(OTA_FAIL));
const message = fc.string({ maxLength: 256 });

const gatewayReply: fc.Arbitrary<GatewayReply> = fc.oneof(
  fc.record({
    type: fc.constantFrom('online' as const, 'offline' as const, 'bind' as const, 'unbind' as const),
    devices: fc.array(fc.record({ subdevice, result: resultCode }), { maxLength: 12 }),
  }),
  fc.record({ type: fc.constant('describe_sub_devices' as const), devices }),
  fc.record({ type: fc.constant('change' as const), status: fc.constantFrom(0 as const, 1 as const), devices }),
);

const gatewayRequest: fc.Arbitrary<GatewayRequest> = fc.oneof(
  fc.record({ type: fc.constantFrom('online' as const, 'offline' as const, 'unbind' as const), devices }),
  fc.record({ type: fc.constant('describe_sub_devices' as const) }),
  fc.record({
    type: fc.constant('bind' as const),
    devices: fc.array(
      fc.record({
        subdevice,
        signature: fc.base64String({ minLength: 4, maxLength: 128 }),
        random: fc.integer({ min: 0, max: 2 ** 31 }),
        timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
        signMethod: fc.constantFrom('hmacsha1' as const, 'hmacsha256' as const),
        authType: fc.constantFrom('psk' as const, 'certificate' as const),
      }),
      { maxLength: 8 },
    ),
  }),
);

const otaReport: fc.Arbitrary<OtaReport> = fc.oneof(
  fc.record({ state: fc.constant('downloading' as const), version, percent: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ state: fc.constantFrom('burning' as const, 'done' as const), version }),
  fc.record({ state: fc.constant('fail' as const), version, code: failCode, message }),
);

const firmwareJob = fc.record({ version, url, md5, size: fc.integer({ min: 1, max: 2 ** 40 }) });

// ---------- arbitraries: hostile input ----------

/** Any JSON value, with the keys that have bitten JSON decoders before. */
const anyJson = fc.jsonValue({ maxDepth: 4 });
const nastyKey = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'payload', 'devices'));
/** A value that is usually of the right kind for a field, and sometimes anything at all. */
const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
const sprinkled = (shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(fc.record(shape, { requiredKeys: [] }), fc.dictionary(nastyKey, anyJson, { maxKeys: 2 }))
    .map(([fields, extra]) => ({ ...extra, ...fields }));

const deviceEntryish = sprinkled({
  product_id: maybe(productId),
  device_name: maybe(deviceName),
  result: maybe(fc.oneof(resultCode, resultCode.map(String), fc.constant(' 0 '))),
  signature: maybe(fc.base64String({ maxLength: 40 })),
  random: maybe(fc.integer()),
  timestamp: maybe(fc.oneof(fc.integer(), fc.double())),
  signmethod: maybe(fc.constantFrom('hmacsha1', 'hmacsha256', 'md5')),
  authtype: maybe(fc.constantFrom('psk', 'certificate', 'x')),
});
const gatewayMessageish = sprinkled({
  type: maybe(fc.constantFrom('online', 'offline', 'bind', 'unbind', 'describe_sub_devices', 'change', 'unbind_all', 'search_devices', 'ONLINE')),
  payload: maybe(
    sprinkled({
      devices: maybe(fc.oneof(fc.array(deviceEntryish, { maxLength: 5 }), deviceEntryish)),
      status: maybe(fc.constantFrom(0, 1, '0', '1', 2, -1, true, 1e300, '9'.repeat(40))),
      result: maybe(fc.oneof(fc.integer(), fc.integer().map(String), fc.constant(null))),
    }),
  ),
});
const otaMessageish = sprinkled({
  type: maybe(fc.constantFrom('update_firmware', 'report_version_rsp', 'report_version', 'report_progress')),
  version: maybe(fc.oneof(version, fc.string({ maxLength: 40 }))),
  url: maybe(fc.oneof(url, fc.string(), fc.constantFrom('ftp://x/y', 'https://', 'http://a b', 'file:///etc/passwd'))),
  md5sum: maybe(fc.oneof(md5, fc.stringMatching(/^[0-9A-Fa-fxg]{30,34}$/))),
  file_size: maybe(fc.oneof(fc.integer(), fc.integer().map(String), fc.double(), fc.constant('1e3'))),
  result_code: maybe(fc.oneof(fc.integer(), fc.integer().map(String))),
  result_msg: maybe(fc.string({ maxLength: 300 })),
  report: maybe(
    sprinkled({
      version: maybe(version),
      progress: maybe(
        sprinkled({
          state: maybe(fc.constantFrom('downloading', 'burning', 'done', 'fail', 'DONE')),
          percent: maybe(fc.oneof(fc.integer({ min: -5, max: 105 }), fc.integer({ min: 0, max: 100 }).map(String))),
          result_code: maybe(fc.oneof(failCode.map(String), fc.integer().map(String))),
          result_msg: maybe(fc.string({ maxLength: 300 })),
        }),
      ),
    }),
  ),
});

/** Bytes and text a hostile or broken hub may send: noise, text, JSON of any shape, near-misses. */
const hostilePayload: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.string({ maxLength: 256, unit: 'binary' }),
  fc.string({ maxLength: 256, unit: 'grapheme' }),
  anyJson.map((v) => JSON.stringify(v)),
  gatewayMessageish.map((v) => JSON.stringify(v)),
  otaMessageish.map((v) => JSON.stringify(v)),
  otaMessageish.map((v) => utf8.encode(JSON.stringify(v))),
  // Valid UTF-8 JSON cut short or with one byte replaced.
  fc
    .tuple(gatewayMessageish, fc.nat(), fc.integer({ min: 0, max: 255 }))
    .map(([v, at, byte]) => {
      const bytes = utf8.encode(JSON.stringify(v));
      const copy = bytes.slice(0, at % (bytes.length + 1) || bytes.length);
      if (copy.length > 0) copy[at % copy.length] = byte;
      return copy;
    }),
);

// ---------- the promise every decoder makes ----------

/** A decoder either accepts or refuses with the documented typed error; anything else fails the property. */
function holdsTyped(result: DecodeResult<unknown>): boolean {
  if (result.ok) return true;
  return result.error instanceof HubProtocolError && result.error.code === 'hub.protocol' && typeof result.error.message === 'string';
}

const decoders: Record<string, (payload: string | Uint8Array, options?: { maxBytes?: number }) => DecodeResult<unknown>> = {
  decodeGatewayReply,
  decodeGatewayRequest,
  decodeOtaHubMessage,
  decodeOtaDeviceMessage,
  decodeRemoteConfigMessage,
  decodeConfigRequest,
  decodeLogLevelMessage,
  decodeLogLevelRequest,
  decodeLogUpload,
  parseJsonObject,
};

for (const [name, decode] of Object.entries(decoders)) {
  test(`${name}: any bytes, text or JSON give a value or a hub.protocol error, never a throw`, (t) => {
    fc.assert(
      fc.property(hostilePayload, (payload) => holdsTyped(decode(payload))),
      { numRuns: RUNS * 2 },
    );
    t.pass();
  });

  test(`${name}: a payload over maxBytes is refused before parsing`, (t) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 }), hostilePayload, (maxBytes, payload) => {
        const size = typeof payload === 'string' ? utf8.encode(payload).byteLength : payload.byteLength;
        const result = decode(payload, { maxBytes });
        return size <= maxBytes || (!result.ok && /over the \d+-byte limit/.test(result.error.message));
      }),
      { numRuns: RUNS },
    );
    t.pass();
  });
}

test('decodeGatewayReply: what it accepts is what the gateway may act on', (t) => {
  fc.assert(
    fc.property(fc.oneof(gatewayMessageish.map((v) => JSON.stringify(v)), hostilePayload), (payload) => {
      const r = decodeGatewayReply(payload);
      if (!r.ok) return true;
      const reply = r.value;
      const named = (d: SubdeviceId): boolean => d.productId.length > 0 && d.deviceName.length > 0;
      if (reply.type === 'change') return (reply.status === 0 || reply.status === 1) && reply.devices.every(named);
      if (reply.type === 'describe_sub_devices') return reply.devices.every(named);
      if (reply.type === 'unbind_all') return true;
      if (reply.type === 'search_devices') return Number.isSafeInteger(reply.status);
      return ['online', 'offline', 'bind', 'unbind'].includes(reply.type) && reply.devices.every((d) => named(d.subdevice) && Number.isSafeInteger(d.result));
    }),
    { numRuns: RUNS * 2 },
  );
  t.pass();
});

test('decodeOtaHubMessage: an accepted update job has a version, an http(s) URL, a lower-case MD5 and a whole size', (t) => {
  fc.assert(
    fc.property(fc.oneof(otaMessageish.map((v) => JSON.stringify(v)), hostilePayload), (payload) => {
      const r = decodeOtaHubMessage(payload);
      if (!r.ok) return true;
      if (r.value.type === 'report_version_rsp') return Number.isSafeInteger(r.value.resultCode) && r.value.resultMsg.length <= 256 && r.value.version.length <= 32;
      // Anything else the decoder may hand over (a typed refusal of a bad job) carries no job to run.
      if (r.value.type !== 'update_firmware') return true;
      const job = r.value.job;
      return (
        job.version.length >= 1 &&
        job.version.length <= 32 &&
        /^https?:\/\/\S+$/i.test(job.url) &&
        /^[0-9a-f]{32}$/.test(job.md5) &&
        Number.isSafeInteger(job.size) &&
        job.size >= 0
      );
    }),
    { numRuns: RUNS * 2 },
  );
  t.pass();
});

// ---------- round trips: what we encode, we decode to the same thing ----------

test('gateway replies round-trip through encodeGatewayReply and decodeGatewayReply (string and bytes)', (t) => {
  fc.assert(
    fc.property(gatewayReply, (reply) => {
      const wire = encodeGatewayReply(reply);
      t.deepEqual(decodeGatewayReply(wire), { ok: true, value: reply });
      t.deepEqual(decodeGatewayReply(utf8.encode(wire)), { ok: true, value: reply });
    }),
    { numRuns: RUNS },
  );
});

test('gateway replies decode the same whatever the key order and with numbers spelled as strings', (t) => {
  fc.assert(
    fc.property(gatewayReply, fc.boolean(), (reply, reverse) => {
      const parsed = JSON.parse(encodeGatewayReply(reply)) as { type: string; payload: Record<string, unknown> };
      const devices = (parsed.payload['devices'] as Array<Record<string, unknown>>).map((d) => {
        const entry = Object.entries(d).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v] as const);
        return Object.fromEntries(reverse ? entry.reverse() : entry);
      });
      const payload: Record<string, unknown> = { ...parsed.payload, devices };
      const status = payload['status'] as number | undefined;
      const reordered = reverse
        ? { payload: { devices, ...(status === undefined ? {} : { status: String(status) }) }, type: parsed.type }
        : { type: parsed.type, payload };
      t.deepEqual(decodeGatewayReply(JSON.stringify(reordered)), { ok: true, value: reply });
    }),
    { numRuns: RUNS },
  );
});

test('gateway requests round-trip through encodeGatewayRequest and decodeGatewayRequest', (t) => {
  fc.assert(
    fc.property(gatewayRequest, (request) => {
      t.deepEqual(decodeGatewayRequest(encodeGatewayRequest(request)), { ok: true, value: request });
    }),
    { numRuns: RUNS },
  );
});

test('update_firmware and report_version_rsp round-trip through their encoders and decodeOtaHubMessage', (t) => {
  fc.assert(
    fc.property(firmwareJob, version, resultCode, message, (job, v, resultCode, resultMsg) => {
      t.deepEqual(decodeOtaHubMessage(encodeUpdateFirmware(job)), { ok: true, value: { type: 'update_firmware', job } });
      t.deepEqual(decodeOtaHubMessage(encodeReportVersionReply({ resultCode, resultMsg, version: v })), {
        ok: true,
        value: { type: 'report_version_rsp', resultCode, resultMsg, version: v },
      });
    }),
    { numRuns: RUNS },
  );
});

test('report_version and report_progress round-trip through their encoders and decodeOtaDeviceMessage', (t) => {
  fc.assert(
    fc.property(otaReport, version, (report, v) => {
      t.deepEqual(decodeOtaDeviceMessage(encodeReportProgress(report)), { ok: true, value: { type: 'report_progress', report } });
      t.deepEqual(decodeOtaDeviceMessage(encodeReportVersion(v)), { ok: true, value: { type: 'report_version', version: v } });
    }),
    { numRuns: RUNS },
  );
});

// ---------- topics and credentials ----------

test('parseTopic: any string gives a parsed hub topic or undefined, never a throw; what it accepts names a valid device', (t) => {
  const topicish = fc.oneof(
    fc.string({ maxLength: 600, unit: 'binary' }),
    fc
      .tuple(fc.constantFrom('$gateway/operation/', '$gateway/operation/result/', '$ota/update/', '$ota/report/', '$shadow/operation/', '$sys/', ''), fc.string(), fc.string(), fc.string())
      .map(([prefix, a, b, c]) => `${prefix}${a}/${b}${c ? `/${c}` : ''}`),
    fc.tuple(productId, deviceName, fc.constantFrom('data', 'event', '+', '#', 'a//b', 'user/custom', '')).map(([p, d, c]) => `${p}/${d}/${c}`),
  );
  fc.assert(
    fc.property(topicish, (topic) => {
      const parsed = parseTopic(topic);
      if (parsed === undefined) return true;
      return /^[A-Z0-9]{10}$/.test(parsed.device.productId) && /^[A-Za-z0-9_\-.:@]{1,48}$/.test(parsed.device.deviceName) && !/[+#]/.test(topic);
    }),
    { numRuns: RUNS * 2 },
  );
  t.pass();
});

test('every topic builder round-trips through parseTopic', (t) => {
  const channel = fc.stringMatching(/^[A-Za-z0-9_\-.:@]{1,12}(\/[A-Za-z0-9_\-.:@]{1,12}){0,2}$/);
  fc.assert(
    fc.property(subdevice, channel, (device, ch) => {
      t.deepEqual(parseTopic(gatewayOperationTopic(device)), { kind: 'gateway-operation', device });
      t.deepEqual(parseTopic(gatewayOperationResultTopic(device)), { kind: 'gateway-operation-result', device });
      t.deepEqual(parseTopic(otaUpdateTopic(device)), { kind: 'ota-update', device });
      t.deepEqual(parseTopic(otaReportTopic(device)), { kind: 'ota-report', device });
      t.deepEqual(parseTopic(shadowOperationTopic(device)), { kind: 'shadow-operation', device });
      t.deepEqual(parseTopic(shadowOperationResultTopic(device)), { kind: 'shadow-operation-result', device });
      t.deepEqual(parseTopic(dataTopic(device, ch)), { kind: 'data', device, channel: ch });
    }),
    { numRuns: RUNS },
  );
});

test('key-auth and bind-signature checks answer any input with a verdict, never a throw', (t) => {
  const text = fc.string({ maxLength: 200, unit: 'binary' });
  fc.assert(
    fc.property(text, text, text, fc.oneof(text, fc.base64String({ maxLength: 44 })), (clientId, username, password, deviceSecret) => {
      const verdict = verifyKeyAuth({ clientId, username, password, deviceSecret });
      parseKeyAuthUsername(username);
      return typeof verdict.ok === 'boolean';
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(subdevice, text, fc.integer(), fc.integer(), text, (sub, signature, random, timestamp, secret) => {
      const ok = verifyBindSignature({ subdevice: sub, signature, random, timestamp, signMethod: 'hmacsha1', authType: 'psk' }, secret);
      return typeof ok === 'boolean';
    }),
    { numRuns: RUNS },
  );
  t.pass();
});
