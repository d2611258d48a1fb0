// Writes test/vectors.json: node dist/test/vectors/make-vectors.js [--print]
// The crc, cobs and revision-1 frame vectors are kept as published; the rest is computed with this
// package's codecs and SubdeviceEngine, then reviewed against the README (--print shows each
// scenario decoded). The tests then hold both implementations to the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ByeReason,
  CancelReason,
  FirmwareResultCode,
  RefusalReason,
  encodeFrame,
  encodeMessage,
  encodePacket,
  type CrcKind,
  type Message,
} from '../../src/index.js';
import { toJson, type JsonMessage } from './json-form.js';
import { decodeWire, md5Hex, playScenario, type AppAction, type ScenarioConfig, type StepInput } from './scenario-player.js';

const path = fileURLToPath(new URL('../../../test/vectors.json', import.meta.url));
const old = JSON.parse(readFileSync(path, 'utf8')) as { crc: unknown; cobs: unknown; frames: Array<Record<string, unknown> & { name: string; revision?: number }> };

// ---------------------------------------------------------------------------------------------
// Frames: the revision-1 ones as published, plus every revision-2 message and edge value.
// Idempotent: the published revision-1 frames stay as they were; revision-2 ones are recomputed.
const frames: Array<Record<string, unknown>> = old.frames.filter((f) => (f.revision ?? 1) === 1).map((f) => ({ ...f, revision: 1 }));
const newFrames: Array<{ name: string; direction: 'to_subdevice' | 'from_subdevice'; seq: number; message: Message }> = [
  {
    name: 'hello_rev2',
    direction: 'from_subdevice',
    seq: 1,
    message: { type: 'hello', productId: 'ABCDEFGHIJ', deviceName: 'sub1', firmwareVersion: '1.0.0', maxFrameSize: 1100, capabilities: 7, revision: 2, features: 0 },
  },
  { name: 'hello_ack_rev2', direction: 'to_subdevice', seq: 1, message: { type: 'hello_ack', keepaliveIntervalMs: 1000, maxFrameSize: 1100, revision: 2, features: 0 } },
  {
    name: 'hello_refused',
    direction: 'to_subdevice',
    seq: 1,
    message: { type: 'hello_refused', reason: RefusalReason.NOT_DECLARED, retryAfterMs: 60_000, message: 'ZZZZZZZZZZ/stranger is not served by this gateway' },
  },
  { name: 'hello_refused_wrong_address', direction: 'to_subdevice', seq: 4, message: { type: 'hello_refused', reason: RefusalReason.WRONG_ADDRESS, retryAfterMs: 5_000, message: '' } },
  { name: 'fw_result_ack', direction: 'to_subdevice', seq: 13, message: { type: 'fw_result_ack' } },
  { name: 'fw_cancel', direction: 'to_subdevice', seq: 20, message: { type: 'fw_cancel', reason: CancelReason.SUPERSEDED } },
  { name: 'fw_result_no_transfer', direction: 'from_subdevice', seq: 31, message: { type: 'fw_result', ok: false, code: FirmwareResultCode.NO_TRANSFER, message: 'no transfer in progress' } },
  { name: 'fw_result_cancelled', direction: 'from_subdevice', seq: 30, message: { type: 'fw_result', ok: false, code: FirmwareResultCode.CANCELLED, message: 'transfer cancelled' } },
  { name: 'fw_result_refused', direction: 'from_subdevice', seq: 9, message: { type: 'fw_result', ok: false, code: FirmwareResultCode.REFUSED, message: 'busy applying an image' } },
  { name: 'fw_ack_sack_high_bit', direction: 'from_subdevice', seq: 65535, message: { type: 'fw_ack', offset: 1_287_680, sack: 0x80000001 } },
  { name: 'bye_shutdown_from_gateway', direction: 'to_subdevice', seq: 2, message: { type: 'bye', reason: ByeReason.SHUTDOWN } },
  { name: 'bye_unknown_session', direction: 'to_subdevice', seq: 77, message: { type: 'bye', reason: ByeReason.UNKNOWN_SESSION } },
  { name: 'keepalive_seq_wrap', direction: 'from_subdevice', seq: 0, message: { type: 'keepalive' } },
];
for (const crc of ['crc32c', 'crc16'] as const) {
  for (const f of newFrames) {
    const packet = { address: f.name === 'hello_refused_wrong_address' ? 200 : 1, direction: f.direction, seq: f.seq, message: f.message };
    const wire = encodePacket(packet, { crc });
    frames.push({
      name: f.name,
      crc,
      revision: 2,
      address: packet.address,
      direction: f.direction,
      seq: f.seq,
      message: toJson(f.message),
      payload: Buffer.from(encodeMessage(f.message)).toString('hex'),
      wire: Buffer.from(wire).toString('hex'),
    });
  }
}
frames.sort((a, b) => (a.crc === b.crc ? 0 : a.crc === 'crc32c' ? -1 : 1));

// ---------------------------------------------------------------------------------------------
// Malformed: right CRC, payload a receiver must drop (README §5), and extensions it must accept.
const malformed = [
  ['keepalive with a payload byte', 0x83, '00'],
  ['hello: revision extension says revision 1', 0x81, helloHex() + '01' + '0000'],
  ['hello: revision byte without features', 0x81, helloHex() + '02'],
  ['hello: productId is not UTF-8', 0x81, '02ffff' + helloHex().slice(22)],
  ['hello_ack: revision extension cut short', 0x02, '000003e8044c' + '0200'],
  ['hello_refused without its message', 0x05, '01' + '0000ea60'],
  ['fw_accept shorter than 4 bytes', 0xa1, '000400'],
  ['fw_ack with one byte after the offset', 0xa3, '00004008' + '01'],
  ['fw_applying above 100', 0xa5, '65'],
  ['fw_result with ok = 2', 0xa6, '02' + '0000' + '00'],
  ['fw_cancel without its reason', 0x28, ''],
  ['fw_result_ack with a payload byte', 0x27, '00'],
].map(([why, type, payload]) => {
  const wire = encodeFrame({ address: 1, type: type as number, seq: 5, payload: Uint8Array.from(Buffer.from(payload as string, 'hex')) });
  return { why, type, payload, wire: Buffer.from(wire).toString('hex') };
});
const accepted = [
  ['hello from a later revision (3) with fields this revision does not know', 0x81, helloHex() + '03' + '0000' + 'beef'],
  ['hello_ack from a later revision (3) with fields this revision does not know', 0x02, '000003e8044c' + '03' + '0000' + '1234'],
].map(([why, type, payload]) => {
  const wire = encodeFrame({ address: 1, type: type as number, seq: 5, payload: Uint8Array.from(Buffer.from(payload as string, 'hex')) });
  return { why, type, payload, wire: Buffer.from(wire).toString('hex') };
});

function helloHex(): string {
  // str8 "ABCDEFGHIJ", str8 "sub1", str8 "1.0.0", u16 1100, u8 7
  return '0a4142434445464748494a' + '0473756231' + '05312e302e30' + '044c' + '07';
}

// ---------------------------------------------------------------------------------------------
// Scenarios: one subdevice, played on the SubdeviceEngine.
const base: ScenarioConfig = {
  address: 1,
  productId: 'ABCDEFGHIJ',
  deviceName: 'sub1',
  firmwareVersion: '1.0.0',
  revision: 2,
  crc: 'crc32c',
  maxFrameSize: 1100,
  reliableData: true,
  reorderChunks: 8,
  firmware: true,
};
// Not periodic in 256, so a chunk at the wrong offset cannot pass for the right one.
const IMAGE = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + (i >> 8) * 17 + 3) & 0xff);
const IMAGE_MD5 = md5Hex(IMAGE);
const chunk = (offset: number, size = 256): Message => ({ type: 'fw_chunk', offset, bytes: IMAGE.slice(offset, Math.min(IMAGE.length, offset + size)) });
const offer: Message = { type: 'fw_offer', version: '2.0.0', size: IMAGE.length, md5: Uint8Array.from(Buffer.from(IMAGE_MD5, 'hex')), chunkSize: 256 };
const ack = (seq: number, keepaliveIntervalMs = 60_000, revision = 2): [number, Message] => [
  seq,
  { type: 'hello_ack', keepaliveIntervalMs, maxFrameSize: 1100, revision, features: 0 },
];

interface ScenarioSpec {
  readonly name: string;
  readonly spec: string;
  readonly config?: Partial<ScenarioConfig>;
  readonly steps: ReadonlyArray<{ readonly at: number; readonly in?: ReadonlyArray<[number, Message] | { wire: string }>; readonly app?: AppAction }>;
}

const connected = (seq = 1, interval = 60_000): ScenarioSpec['steps'][number][] => [{ at: 0 }, { at: 10, in: [ack(seq, interval)] }];

const scenarios: ScenarioSpec[] = [
  {
    name: 'boot: HELLO until answered, then KEEPALIVE every interval',
    spec: '§6.1, §10 Boot',
    steps: [{ at: 0 }, { at: 510 }, { at: 520, in: [ack(2, 1000)] }, { at: 1600 }, { at: 1610, in: [[3, { type: 'keepalive_ack' }]] }, { at: 2700 }],
  },
  {
    name: 'a lost gateway: no frame for 3 keepalive intervals, so HELLO again',
    spec: '§6.1',
    // KEEPALIVE_ACK at 1500 moves "last heard": the session is lost 3000 ms later, between keepalives.
    steps: [{ at: 0 }, { at: 10, in: [ack(1, 1000)] }, { at: 1100 }, { at: 1500, in: [[2, { type: 'keepalive_ack' }]] }, { at: 2100 }, { at: 3100 }, { at: 4100 }, { at: 4600 }],
  },
  {
    name: 'BYE from the gateway (it shuts down or restarted): HELLO again at once',
    spec: '§6.1, §6.2',
    steps: [...connected(), { at: 100, in: [[1, { type: 'bye', reason: ByeReason.SHUTDOWN }]] }, { at: 610 }],
  },
  {
    name: 'refused: silent for retryAfterMs, then HELLO again',
    spec: '§6.1, §6.3, §10 Refusal',
    steps: [
      { at: 0 },
      { at: 10, in: [[1, { type: 'hello_refused', reason: RefusalReason.NOT_DECLARED, retryAfterMs: 2000, message: 'ABCDEFGHIJ/sub1 is not served by this gateway' }]] },
      { at: 1500 },
      { at: 2020 },
    ],
  },
  {
    name: 'a stale HELLO_REFUSED after HELLO_ACK is ignored',
    spec: '§6.1',
    steps: [...connected(), { at: 20, in: [[1, { type: 'hello_refused', reason: 1, retryAfterMs: 2000, message: '' }]] }, { at: 30, app: { sendData: '01' } }],
  },
  {
    name: 'a revision-1 gateway (HELLO_ACK without extension): the session runs revision 1, so a stale FW_COMMIT gets no -101',
    spec: '§4',
    steps: [{ at: 0 }, { at: 10, in: [ack(1, 60_000, 1)] }, { at: 20, in: [[1, { type: 'fw_commit' }]] }],
  },
  {
    name: 'a gateway of a later revision: unknown trailing HELLO_ACK fields are ignored',
    spec: '§4',
    steps: [{ at: 0 }, { at: 10, in: [{ wire: frameHex(1, 0x02, 1, '000003e8044c' + '03' + '0000' + '1234') }] }, { at: 2000 }],
  },
  {
    name: 'reading: DATA resent after ackTimeout, then after twice the previous wait, until DATA_ACK',
    spec: '§7, §10 Reading',
    // Sent at 100, copies at 400 and 1000 (300 ms, then 600 ms), none after the ack.
    steps: [...connected(), { at: 100, app: { sendData: '7b2274223a32317d' } }, { at: 450 }, { at: 950 }, { at: 1050 }, { at: 1060, in: [[2, { type: 'data_ack' }]] }, { at: 5000 }],
  },
  {
    name: 'reading: after the 5th attempt the frame is given up and the session goes on',
    spec: '§7',
    // Copies at 400, 1000, 2200, 4600 (waits 300, 600, 1200, 2400 ms); given up at 7000 (2400 ms, the cap).
    steps: [...connected(), { at: 100, app: { sendData: '01' } }, { at: 550 }, { at: 1150 }, { at: 2350 }, { at: 4750 }, { at: 6990 }, { at: 7010 }, { at: 7020, app: { sendData: '02' } }],
  },
  {
    name: 'downlink: each DATA acknowledged (echo), a retransmitted copy acknowledged but delivered once',
    spec: '§7, §10 Downlink',
    steps: [
      ...connected(),
      { at: 20, in: [[9, { type: 'data', payload: Uint8Array.from(Buffer.from('{"led":1}')) }]] },
      { at: 320, in: [[9, { type: 'data', payload: Uint8Array.from(Buffer.from('{"led":1}')) }]] },
      { at: 330, in: [[10, { type: 'data', payload: Uint8Array.of(0, 1, 0) }]] },
    ],
  },
  {
    name: 'without RELIABLE_DATA: no DATA_ACK either way, each DATA sent once',
    spec: '§7',
    config: { reliableData: false },
    steps: [...connected(), { at: 20, in: [[9, { type: 'data', payload: Uint8Array.of(5) }]] }, { at: 30, app: { sendData: '06' } }, { at: 2000 }],
  },
  {
    name: 'update: offer, chunks, commit, applying, verdict held until FW_RESULT_ACK',
    spec: '§8, §10 Update',
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer]] },
      { at: 30, in: [[2, chunk(0)], [3, chunk(256)], [4, chunk(512)], [5, chunk(768)]] },
      { at: 40, in: [[6, { type: 'fw_commit' }]] },
      { at: 50, app: { reportApplying: 50 } },
      { at: 60, app: { reportResult: { ok: true, version: '2.0.0' } } },
      { at: 1040, in: [[7, { type: 'fw_commit' }]] },
      { at: 1050, in: [[8, { type: 'fw_result_ack' }]] },
    ],
  },
  {
    name: 'verdict without FW_RESULT_ACK (a revision-1 gateway): resent for each FW_COMMIT, settled 3 s after the last',
    spec: '§8.5',
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer], [2, chunk(0, 1000)]] },
      { at: 30, in: [[3, { type: 'fw_commit' }]] },
      { at: 40, app: { reportResult: { ok: false, code: -5, message: 'flash write failed' } } },
      { at: 1040, in: [[4, { type: 'fw_commit' }]] },
      { at: 3000 },
      { at: 4200 },
    ],
  },
  {
    name: 'resume off the chunk grid, a gap with SACK, a duplicate below the held offset',
    spec: '§8.2, §8.3, §8.4',
    config: { flash: { md5: IMAGE_MD5, size: IMAGE.length, held: 300 } },
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer]] },
      { at: 30, in: [[2, chunk(300)]] },
      { at: 40, in: [[3, chunk(812)]] },
      { at: 50, in: [[4, chunk(300)]] },
      { at: 60, in: [[5, chunk(556)]] },
    ],
  },
  {
    name: 'without REORDER_BUFFER: a chunk after a gap is dropped and the ack carries no bitmap',
    spec: '§8.3, §8.4',
    config: { reorderChunks: 0 },
    steps: [...connected(), { at: 20, in: [[1, offer]] }, { at: 30, in: [[2, chunk(256)]] }, { at: 40, in: [[3, chunk(0)], [4, chunk(256)]] }],
  },
  {
    name: 'no offer in this session: a stale chunk is ignored, a stale commit gets -101',
    spec: '§8.6',
    steps: [...connected(), { at: 20, in: [[1, chunk(0)]] }, { at: 30, in: [[2, { type: 'fw_commit' }]] }],
  },
  {
    name: 'an offer of the previous session: its chunks are stale after a new HELLO_ACK; offered again, it resumes',
    spec: '§8.6, §10 Quick reboot',
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer], [2, chunk(0)]] },
      { at: 30, in: [[3, { type: 'bye', reason: ByeReason.UNKNOWN_SESSION }]] },
      { at: 40, in: [ack(4)] },
      { at: 50, in: [[1, chunk(256)], [2, { type: 'fw_commit' }]] },
      { at: 60, in: [[3, offer]] },
    ],
  },
  {
    name: 'cancel: the transfer is abandoned (-102), the bytes kept; a second cancel finds none (-101); offered again, it resumes',
    spec: '§8.7, §10 Cancel',
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer], [2, chunk(0)], [3, chunk(256)]] },
      { at: 30, in: [[4, { type: 'fw_cancel', reason: CancelReason.SUPERSEDED }]] },
      { at: 40, in: [[5, { type: 'fw_cancel', reason: CancelReason.SUPERSEDED }]] },
      { at: 50, in: [[6, offer]] },
    ],
  },
  {
    name: 'cancel while applying is too late: FW_APPLYING answers it',
    spec: '§8.7',
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer], [2, chunk(0, 1000)], [3, { type: 'fw_commit' }]] },
      { at: 30, app: { reportApplying: 30 } },
      { at: 40, in: [[4, { type: 'fw_cancel', reason: 0 }]] },
      { at: 50, in: [[5, offer]] },
    ],
  },
  {
    name: 'the gateway changed while applying (it restarted): after FW_RESULT the subdevice says HELLO again with the version it runs',
    spec: '§8.6',
    steps: [
      ...connected(),
      { at: 20, in: [[1, offer], [2, chunk(0, 1000)], [3, { type: 'fw_commit' }]] },
      { at: 30, in: [[3, { type: 'bye', reason: ByeReason.UNKNOWN_SESSION }]] },
      { at: 40, in: [ack(6)] },
      { at: 50, app: { reportResult: { ok: true, version: '2.0.0' } } },
    ],
  },
  {
    name: 'frames to ignore while connected: another address, uplink of another subdevice, unknown and application-defined types, malformed',
    spec: '§2, §4, §5',
    steps: [
      ...connected(),
      {
        at: 20,
        in: [
          { wire: frameHex(2, 0x10, 9, '01') },
          { wire: frameHex(1, 0x90, 9, '01') },
          { wire: frameHex(1, 0x30, 9, '') },
          { wire: frameHex(1, 0x70, 9, 'aa') },
          { wire: frameHex(1, 0x04, 9, '00') },
          // A frame with the other CRC kind is not a frame.
          { wire: frameHex(1, 0x10, 9, '01', 'crc16') },
        ],
      },
    ],
  },
  {
    name: 'a subdevice built against revision 1: HELLO without extension; a HELLO_ACK with the extension is malformed to it',
    spec: '§4',
    config: { revision: 1 },
    steps: [{ at: 0 }, { at: 10, in: [ack(1)] }, { at: 510 }, { at: 520, in: [ack(2, 60_000, 1)] }, { at: 530, app: { sendData: '01' } }],
  },
  {
    name: 'crc16 and a small MCU frame (64 bytes): the same boot with 2-byte checksums',
    spec: '§2',
    config: { crc: 'crc16', maxFrameSize: 64 },
    steps: [{ at: 0 }, { at: 10, in: [ack(1)] }, { at: 20, app: { sendData: '00ff00' } }],
  },
];

function frameHex(address: number, type: number, seq: number, payload: string, crc: CrcKind = 'crc32c'): string {
  return Buffer.from(encodeFrame({ address, type, seq, payload: Uint8Array.from(Buffer.from(payload, 'hex')) }, { crc })).toString('hex');
}

const print = process.argv.includes('--print');
const scenarioJson = scenarios.map(toScenarioJson);

function toScenarioJson(s: ScenarioSpec) {
  const config = { ...base, ...s.config };
  const encodeIn = (x: [number, Message] | { wire: string }): { wire: string; seq?: number; message?: JsonMessage } => {
    if ('wire' in x) {
      const decoded = decodeWire(x.wire, config.crc);
      return { wire: x.wire, ...(decoded ? { seq: decoded.seq, message: toJson(decoded.message) } : {}) };
    }
    const [seq, message] = x;
    const wire = Buffer.from(encodePacket({ address: config.address, direction: 'to_subdevice', seq, message }, { crc: config.crc })).toString('hex');
    return { wire, seq, message: toJson(message) };
  };
  const inputs: StepInput[] = s.steps.map((st) => ({ at: st.at, ...(st.in ? { in: st.in.map((x) => encodeIn(x).wire) } : {}), ...(st.app ? { app: st.app } : {}) }));
  const outputs = playScenario(config, inputs);
  const steps = s.steps.map((st, i) => {
    const o = outputs[i]!;
    return {
      at: st.at,
      ...(st.in ? { in: st.in.map(encodeIn) } : {}),
      ...(st.app ? { app: st.app } : {}),
      out: o.out.map((wire) => {
        const p = decodeWire(wire, config.crc)!;
        // Texts of the link's own refusals are free; compare those frames without them.
        const free = p.message.type === 'fw_result' && !p.message.ok && p.message.code <= FirmwareResultCode.REFUSED;
        return { wire, seq: p.seq, message: toJson(p.message), ...(free ? { ignore: ['message'] } : {}) };
      }),
      delivered: o.delivered,
      settled: o.settled,
    };
  });
  if (print) {
    console.log(`\n## ${s.name} (${s.spec})`);
    for (const st of steps) {
      for (const i of st.in ?? []) console.log(`  t=${st.at}  G→S  #${i.seq ?? '?'} ${JSON.stringify(i.message ?? i.wire)}`);
      if (st.app) console.log(`  t=${st.at}  app  ${JSON.stringify(st.app)}`);
      for (const o of st.out) console.log(`  t=${st.at}  S→G  #${o.seq} ${JSON.stringify(o.message)}${o.ignore ? ' (text free)' : ''}`);
      if (st.delivered.length) console.log(`  t=${st.at}  delivered ${JSON.stringify(st.delivered)}`);
      if (st.settled) console.log(`  t=${st.at}  settled`);
    }
  }
  return { name: s.name, spec: s.spec, config, steps };
}

// ---------------------------------------------------------------------------------------------
// Optional features (README §12): kept apart from the core vectors, so an implementation without
// a feature (the C reference has none yet) runs the core set unchanged.
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);
const featureFrameSpecs: Array<{ name: string; feature: string; direction: 'to_subdevice' | 'from_subdevice'; seq: number; message: Message }> = [
  { name: 'hello_features', feature: 'REQUESTS|SHADOW|TIME', direction: 'from_subdevice', seq: 1, message: { type: 'hello', productId: 'ABCDEFGHIJ', deviceName: 'sub1', firmwareVersion: '1.0.0', maxFrameSize: 1100, capabilities: 3, revision: 2, features: 0x000e } },
  { name: 'hello_ack_features', feature: 'REQUESTS|SHADOW|TIME', direction: 'to_subdevice', seq: 1, message: { type: 'hello_ack', keepaliveIntervalMs: 1000, maxFrameSize: 1100, revision: 2, features: 0x000e } },
  { name: 'hello_channels', feature: 'CHANNELS', direction: 'from_subdevice', seq: 1, message: { type: 'hello', productId: 'ABCDEFGHIJ', deviceName: 'sub1', firmwareVersion: '1.0.0', maxFrameSize: 1100, capabilities: 2, revision: 2, features: 0x0001 } },
  { name: 'hello_ack_channels', feature: 'CHANNELS', direction: 'to_subdevice', seq: 1, message: { type: 'hello_ack', keepaliveIntervalMs: 1000, maxFrameSize: 1100, revision: 2, features: 0x0001 } },
  { name: 'channel_data_up', feature: 'CHANNELS', direction: 'from_subdevice', seq: 5, message: { type: 'channel_data', channel: 'event', payload: bytesOf('{"alarm":1}') } },
  { name: 'channel_data_down', feature: 'CHANNELS', direction: 'to_subdevice', seq: 6, message: { type: 'channel_data', channel: 'user/cmd', payload: bytesOf('{"led":1}') } },
  { name: 'channel_data_empty', feature: 'CHANNELS', direction: 'from_subdevice', seq: 7, message: { type: 'channel_data', channel: 'control', payload: new Uint8Array(0) } },
  { name: 'request', feature: 'REQUESTS', direction: 'to_subdevice', seq: 7, message: { type: 'request', requestId: 1, timeoutMs: 3500, payload: bytesOf('closed') } },
  { name: 'request_empty', feature: 'REQUESTS', direction: 'to_subdevice', seq: 8, message: { type: 'request', requestId: 65535, timeoutMs: 1, payload: new Uint8Array(0) } },
  { name: 'response_ok', feature: 'REQUESTS', direction: 'from_subdevice', seq: 12, message: { type: 'response', requestId: 1, status: 0, payload: bytesOf('ok') } },
  { name: 'response_unsupported', feature: 'REQUESTS', direction: 'from_subdevice', seq: 13, message: { type: 'response', requestId: 2, status: 1, payload: new Uint8Array(0) } },
  { name: 'response_failed', feature: 'REQUESTS', direction: 'from_subdevice', seq: 14, message: { type: 'response', requestId: 3, status: 2, payload: bytesOf('sensor busy') } },
  { name: 'shadow_delta', feature: 'SHADOW', direction: 'to_subdevice', seq: 9, message: { type: 'shadow_delta', version: 3, document: bytesOf('{"temperature":25}') } },
  { name: 'shadow_report', feature: 'SHADOW', direction: 'from_subdevice', seq: 15, message: { type: 'shadow_report', document: bytesOf('{"temperature":25}') } },
  { name: 'time_request', feature: 'TIME', direction: 'from_subdevice', seq: 16, message: { type: 'time_request' } },
  { name: 'time_response', feature: 'TIME', direction: 'to_subdevice', seq: 16, message: { type: 'time_response', synced: true, unixMs: 1_700_000_000_600 } },
  { name: 'time_response_unsynced', feature: 'TIME', direction: 'to_subdevice', seq: 17, message: { type: 'time_response', synced: false, unixMs: 0 } },
];
const featureFrames = featureFrameSpecs.map((f) => {
  const wire = encodePacket({ address: 1, direction: f.direction, seq: f.seq, message: f.message });
  return {
    name: f.name,
    feature: f.feature,
    crc: 'crc32c',
    revision: 2,
    address: 1,
    direction: f.direction,
    seq: f.seq,
    message: toJson(f.message),
    payload: Buffer.from(encodeMessage(f.message)).toString('hex'),
    wire: Buffer.from(wire).toString('hex'),
  };
});
const hexOf = (text: string): string => Buffer.from(text).toString('hex');
const featureMalformed = [
  ['channel_data with an empty channel', 0x92, '00' + hexOf('{}')],
  ['channel_data whose channel is cut short', 0x92, '05' + hexOf('eve')],
  ['channel_data with a wildcard channel', 0x92, '01' + hexOf('#')],
  ['channel_data with an empty topic level', 0x92, '06' + hexOf('user//') ],
  ['channel_data with a channel of 65 bytes', 0x12, '41' + hexOf('a'.repeat(65))],
  ['channel_data with invalid UTF-8 in its channel', 0x92, '02' + 'c328'],
  ['request without its timeout', 0x30, '0001'],
  ['response with status 3', 0xb1, '0001' + '03'],
  ['response shorter than its header', 0xb1, '0001'],
  ['shadow_delta without a full version', 0x40, '000003'],
  ['time_request with a payload byte', 0xd0, '00'],
  ['time_response with synced = 2', 0x51, '02' + '00000000' + '00000000'],
  ['time_response beyond 2^53 ms', 0x51, '01' + '00200000' + '00000000'],
  ['time_response with a trailing byte', 0x51, '01' + '00000000' + '00000000' + '00'],
].map(([why, type, payload]) => {
  const wire = encodeFrame({ address: 1, type: type as number, seq: 5, payload: Uint8Array.from(Buffer.from(payload as string, 'hex')) });
  return { why, type, payload, wire: Buffer.from(wire).toString('hex') };
});
const REQ = 0x30;
const featureScenarios: ScenarioSpec[] = [
  {
    name: 'request: answered once; a repeated REQUEST gets the same RESPONSE again; a REQUEST before any HELLO_ACK is ignored',
    spec: '§12.1',
    config: { requests: true },
    steps: [
      { at: 0 },
      { at: 5, in: [{ wire: frameHex(1, REQ, 3, '0009' + '0dac' + Buffer.from('early').toString('hex')) }] },
      { at: 10, in: [[1, { type: 'hello_ack', keepaliveIntervalMs: 60_000, maxFrameSize: 1100, revision: 2, features: 0x0002 }]] },
      { at: 20, in: [[4, { type: 'request', requestId: 1, timeoutMs: 3500, payload: bytesOf('closed') }]] },
      { at: 520, in: [[4, { type: 'request', requestId: 1, timeoutMs: 3500, payload: bytesOf('closed') }]] },
      { at: 600, in: [[5, { type: 'request', requestId: 2, timeoutMs: 3500, payload: bytesOf('open') }]] },
    ],
  },
  {
    name: 'request: a gateway that did not agree to REQUESTS gets no RESPONSE',
    spec: '§4.1, §12.1',
    config: { requests: true },
    steps: [{ at: 0 }, { at: 10, in: [ack(1)] }, { at: 20, in: [[4, { type: 'request', requestId: 1, timeoutMs: 3500, payload: bytesOf('closed') }]] }],
  },
  {
    name: 'time: TIME_REQUEST answered by TIME_RESPONSE (echo); unanswered ones are resent with a new seq',
    spec: '§12.3',
    config: { time: true },
    steps: [
      { at: 0 },
      { at: 10, in: [[1, { type: 'hello_ack', keepaliveIntervalMs: 60_000, maxFrameSize: 1100, revision: 2, features: 0x0008 }]] },
      { at: 20, app: { requestTime: true } },
      { at: 530 },
      { at: 540, in: [[3, { type: 'time_response', synced: true, unixMs: 1_700_000_000_600 }]] },
      { at: 2000 },
    ],
  },
];
featureScenarios.push(
  {
    name: 'channels: CHANNEL_DATA up and down once agreed, acknowledged like DATA; plain DATA stays on data',
    spec: '§12.4',
    config: { channels: true },
    steps: [
      { at: 0 },
      { at: 10, in: [[1, { type: 'hello_ack', keepaliveIntervalMs: 60_000, maxFrameSize: 1100, revision: 2, features: 0x0001 }]] },
      { at: 20, app: { sendData: hexOf('{"alarm":1}'), channel: 'event' } },
      { at: 30, in: [{ wire: frameHex(1, 0x11, 2, '') }] },
      { at: 40, in: [[7, { type: 'channel_data', channel: 'user/cmd', payload: bytesOf('{"led":1}') }]] },
      { at: 50, in: [[7, { type: 'channel_data', channel: 'user/cmd', payload: bytesOf('{"led":1}') }]] },
      { at: 60, in: [[8, { type: 'data', payload: bytesOf('{"led":0}') }]] },
    ],
  },
  {
    name: 'channels: a gateway that did not agree to CHANNELS: CHANNEL_DATA from it is dropped (no DATA_ACK), the application cannot send on a channel',
    spec: '§4.1, §12.4',
    config: { channels: true },
    steps: [
      { at: 0 },
      { at: 10, in: [ack(1)] },
      { at: 20, app: { sendData: hexOf('{"alarm":1}'), channel: 'event' } },
      { at: 30, in: [[7, { type: 'channel_data', channel: 'user/cmd', payload: bytesOf('{"led":1}') }]] },
    ],
  },
);
const featureScenarioJson = featureScenarios.map(toScenarioJson);

const out = {
  description:
    'iotgw link protocol test vectors, revision 2 (README §11). wire = 00 | COBS(header | payload | CRC big-endian) | 00. Binary fields are lowercase hex. ' +
    'frames: seq values are arbitrary. malformed: a receiver drops these. accepted: a revision-2 receiver decodes these. ' +
    'scenarios: one subdevice, virtual ms since power-on, its seq counter starting at 0; "out" lists the frames it sent since the previous step, exact bytes ' +
    '(frames with "ignore": ["message"] are compared decoded, without that field).',
  revision: 2,
  crc: old.crc,
  cobs: old.cobs,
  frames,
  malformed,
  accepted,
  scenarios: scenarioJson,
  features: {
    description:
      'Optional features (README §12), negotiated by HELLO/HELLO_ACK features bits: 0x0001 CHANNELS, 0x0002 REQUESTS, 0x0004 SHADOW, 0x0008 TIME. ' +
      'An implementation checks the sections of the features it announces; the core sections above do not depend on them. ' +
      'Scenario config "requests": the application answers each REQUEST with "ok:" + its payload; "time": TIME announced; "channels": CHANNELS announced ' +
      '(app "sendData" with "channel" sends CHANNEL_DATA; "delivered" writes a payload of another channel than data as "channel:hex").',
    frames: featureFrames,
    malformed: featureMalformed,
    scenarios: featureScenarioJson,
  },
};
writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
console.log(`features: ${featureFrames.length} frames, ${featureMalformed.length} malformed, ${featureScenarioJson.length} scenarios`);
console.log(`wrote ${frames.length} frames, ${malformed.length} malformed, ${accepted.length} accepted, ${scenarioJson.length} scenarios to ${path}`);
