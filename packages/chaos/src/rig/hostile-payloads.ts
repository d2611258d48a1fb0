import fc from 'fast-check';
import { decodeGatewayReply, decodeOtaHubMessage } from '@iotgw/protocol-tencent';

/** Which of the gateway's subscriptions a hostile message goes to. */
export type HostileTopicKind = 'operation-result' | 'ota-update' | 'data';

export type HostileKind = 'invalid-json' | 'wrong-types' | 'json' | 'empty' | 'binary' | 'huge';

export interface HostileMessage {
  readonly topicKind: HostileTopicKind;
  readonly kind: HostileKind;
  readonly payload: Buffer;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const anyJson = fc.jsonValue({ maxDepth: 4 });
const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 2, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
const deviceName = fc.constantFrom('sensor1', 'sensor2', 'ghost', '', '../x');

/** Gateway replies with the right keys and wrong types, unknown types, missing parts. */
const replyish = fc.record(
  {
    type: maybe(fc.constantFrom('online', 'offline', 'bind', 'unbind', 'describe_sub_devices', 'change', 'reboot')),
    payload: maybe(
      fc.record(
        {
          devices: maybe(fc.array(fc.record({ product_id: maybe(fc.constant('SB00000001')), device_name: maybe(deviceName), result: maybe(fc.constantFrom(0, '0', -1, 'x', null)) }, { requiredKeys: [] }), { maxLength: 3 })),
          status: maybe(fc.constantFrom(0, 1, 2, '1', true)),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

/** OTA messages with the right keys and wrong types. URLs are never of a host other than 127.0.0.1:1 (nothing listens there). */
const otaish = fc.record(
  {
    type: maybe(fc.constantFrom('update_firmware', 'report_version_rsp', 'burn')),
    version: maybe(fc.oneof(fc.constantFrom('2.0.0', '../../etc/passwd', ''), fc.string({ maxLength: 40 }))),
    url: maybe(fc.constantFrom('http://127.0.0.1:1/fw.bin', 'ftp://127.0.0.1:1/x', 'not a url', '')),
    md5sum: maybe(fc.stringMatching(/^[0-9a-g]{30,33}$/)),
    file_size: maybe(fc.oneof(fc.integer(), fc.constant('many'), fc.double())),
    result_code: maybe(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }))),
  },
  { requiredKeys: [] },
);

function kindArbitrary(topicKind: HostileTopicKind): fc.Arbitrary<Omit<HostileMessage, 'topicKind'>> {
  const shaped = topicKind === 'ota-update' ? otaish : replyish;
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(fc.string({ maxLength: 200, unit: 'binary' }), shaped.map((v) => JSON.stringify(v).slice(0, -1))).map((s) => ({ kind: 'invalid-json' as const, payload: text(s) })) },
    { weight: 3, arbitrary: shaped.map((v) => ({ kind: 'wrong-types' as const, payload: text(JSON.stringify(v)) })) },
    { weight: 2, arbitrary: anyJson.map((v) => ({ kind: 'json' as const, payload: text(JSON.stringify(v)) })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const, payload: Buffer.alloc(0) }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => ({ kind: 'binary' as const, payload: Buffer.from(b) })) },
  );
}

/**
 * A flood message a hub could send but that commands nothing: decodes to garbage, or to a reply
 * nobody asked for. Valid `change` notices and `update_firmware` jobs are commands (unbinding a
 * subdevice, starting a download), not garbage; they are left out so the test measures robustness,
 * not obedience.
 */
export function commandsNothing(m: HostileMessage): boolean {
  if (m.topicKind === 'operation-result') return !decodeGatewayReply(m.payload).ok;
  if (m.topicKind === 'ota-update') {
    const decoded = decodeOtaHubMessage(m.payload);
    return !decoded.ok || decoded.value.type !== 'update_firmware';
  }
  return true;
}

/** Huge payloads and where they go: `[index in the flood, bytes]`. One reaches 100 MB, as in issue 11. */
export const HUGE: ReadonlyArray<readonly [number, number]> = [
  [10_000, 256 * 1024],
  [20_000, 1024 * 1024],
  [30_000, 8 * 1024 * 1024],
  [50_000, 8 * 1024 * 1024],
  [70_000, 100 * 1024 * 1024],
  [90_000, 4 * 1024 * 1024],
];

/**
 * `count` hostile messages, reproducible from `seed`, spread over the gateway's subscriptions
 * (40 % its operation result topic, 30 % OTA update topics, 30 % data topics), in batches of `batch`.
 */
export function* hostileMessages(count: number, seed: number, batch = 5_000): Generator<HostileMessage> {
  const kinds: HostileTopicKind[] = ['operation-result', 'operation-result', 'operation-result', 'operation-result', 'ota-update', 'ota-update', 'ota-update', 'data', 'data', 'data'];
  const huge = new Map(HUGE);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const perKind = new Map<HostileTopicKind, Array<Omit<HostileMessage, 'topicKind'>>>();
    for (const k of new Set(kinds)) perKind.set(k, fc.sample(kindArbitrary(k), { numRuns: n, seed: seed + start + kinds.indexOf(k) }));
    for (let i = 0; i < n; i++) {
      const index = start + i;
      const topicKind = kinds[index % kinds.length]!;
      const size = huge.get(index);
      if (size !== undefined) {
        // Text that starts like JSON and never ends: the worst case for a parser that buffers it.
        yield { topicKind: topicKind === 'data' ? 'operation-result' : topicKind, kind: 'huge', payload: Buffer.concat([text('{"type":"online","payload":"'), Buffer.alloc(size, 0x41)]) };
        continue;
      }
      const message = { topicKind, ...perKind.get(topicKind)![i]! };
      yield commandsNothing(message) ? message : { topicKind, kind: 'invalid-json', payload: Buffer.concat([message.payload, text('}}')]) };
    }
  }
}
