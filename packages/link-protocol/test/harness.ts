import { createHash } from 'node:crypto';
import {
  FrameDecoder,
  GatewayEngine,
  ManualScheduler,
  SubdeviceEngine,
  packetOf,
  type Message,
  type SubdeviceEngineOptions,
  type SubdeviceEngineHooks,
  type FirmwareOffer,
  type FirmwareSource,
  type GatewayEngineOptions,
  type PeerDetachReason,
  type PeerInfo,
} from '../src/index.js';

/** A virtual wire: each write arrives after `latencyMs`, unless the wire is cut or corrupts it. */
export class VirtualWire {
  cut = false;
  corruptEvery = 0;
  #count = 0;
  constructor(
    private readonly scheduler: ManualScheduler,
    private readonly latencyMs = 2,
  ) {}
  connect(deliver: (b: Uint8Array) => void): (b: Uint8Array) => void {
    return (bytes) => {
      if (this.cut) return;
      const copy = bytes.slice();
      if (this.corruptEvery > 0) {
        for (let i = 0; i < copy.length; i++) if (++this.#count % this.corruptEvery === 0) copy[i] = copy[i]! ^ 0x5a;
      }
      this.scheduler.setTimer(this.latencyMs, () => deliver(copy));
    };
  }
}

export interface Rig {
  scheduler: ManualScheduler;
  wire: VirtualWire;
  gateway: GatewayEngine;
  subdevices: SubdeviceEngine[];
  events: { attached: PeerInfo[]; detached: { peer: PeerInfo; reason: PeerDetachReason }[]; gwData: string[]; subData: string[] };
  image: { bytes: Uint8Array; received: number; commits: number };
  /** Every message sent, in order: G = by the gateway, S = by a subdevice. */
  log: Array<{ from: 'G' | 'S'; seq: number; message: Message }>;
}

function logger(log: Rig['log'], from: 'G' | 'S'): (bytes: Uint8Array) => void {
  const decoder = new FrameDecoder({ maxFrameSize: 4096 });
  return (bytes) => {
    for (const f of decoder.push(bytes)) {
      const p = packetOf(f);
      if (p) log.push({ from, seq: p.seq, message: p.message });
    }
  };
}

export function md5Of(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash('md5').update(bytes).digest());
}

export function makeImage(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) out[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

export function sourceOf(image: Uint8Array, version = '2.0.0'): FirmwareSource & { reads: number } {
  const source = {
    version,
    size: image.length,
    md5: md5Of(image),
    reads: 0,
    read: (offset: number, length: number) => {
      source.reads += length;
      return Promise.resolve(image.slice(offset, offset + length));
    },
  };
  return source;
}

export function makeRig(
  options: {
    addresses?: number[];
    gateway?: GatewayEngineOptions;
    subdevice?: Partial<SubdeviceEngineOptions>;
    applyResult?: 'ok' | 'fail';
    /** What the gateway's application answers a DATA with (a promise delays its DATA_ACK). */
    hold?: (peer: PeerInfo, payload: Uint8Array) => Promise<unknown> | undefined;
    /** Extra subdevice hooks (request handler, shadow delta): per address. */
    hooks?: (address: number) => Partial<SubdeviceEngineHooks>;
    gatewayHooks?: Partial<import('../src/index.js').GatewayEngineHooks>;
  } = {},
): Rig {
  const scheduler = new ManualScheduler(1_000_000);
  const wire = new VirtualWire(scheduler);
  const events: Rig['events'] = { attached: [], detached: [], gwData: [], subData: [] };
  const image = { bytes: new Uint8Array(0), received: 0, commits: 0 };
  const subdevices: SubdeviceEngine[] = [];
  const log: Rig['log'] = [];
  const logG = logger(log, 'G');
  const logS = logger(log, 'S');
  const toSubdevices = wire.connect((b) => subdevices.forEach((s) => s.feed(b)));
  const gateway = new GatewayEngine(
    {
      transmit: (b) => {
        logG(b);
        toSubdevices(b);
      },
      attached: (p) => events.attached.push(p),
      detached: (peer, reason) => events.detached.push({ peer, reason }),
      data: (p, payload) => {
        events.gwData.push(`${p.deviceName}:${Buffer.from(payload).toString()}`);
        return options.hold?.(p, payload);
      },
      ...options.gatewayHooks,
    },
    { scheduler, ...options.gateway },
  );
  for (const [i, address] of (options.addresses ?? [1]).entries()) {
    let offer: FirmwareOffer | undefined;
    const toGateway = wire.connect((b) => gateway.feed(b));
    const sub: SubdeviceEngine = new SubdeviceEngine(
      {
        transmit: (b) => {
          logS(b);
          toGateway(b);
        },
        data: (payload) => events.subData.push(`${address}:${Buffer.from(payload).toString()}`),
        firmwareOffer: (o) => {
          const resumable = offer && Buffer.from(offer.md5).equals(Buffer.from(o.md5));
          offer = o;
          if (!resumable) {
            image.bytes = new Uint8Array(o.size);
            image.received = 0;
          }
          return image.received;
        },
        firmwareChunk: (offset, bytes) => {
          image.bytes.set(bytes, offset);
          image.received = offset + bytes.length;
        },
        firmwareCommit: (o) => {
          image.commits++;
          scheduler.setTimer(300, () => sub.reportApplying(50));
          scheduler.setTimer(600, () => {
            const good = Buffer.from(md5Of(image.bytes)).equals(Buffer.from(o.md5));
            if (options.applyResult === 'fail') sub.reportResult({ ok: false, code: -5, message: 'flash write failed' });
            else if (good) sub.reportResult({ ok: true, version: o.version });
            else sub.reportResult({ ok: false, code: -4, message: 'md5 mismatch' });
          });
        },
        ...options.hooks?.(address),
      },
      { address, identity: { productId: 'ABCDEFGHIJ', deviceName: `sub${i + 1}`, firmwareVersion: '1.0.0' }, scheduler, ...options.subdevice },
    );
    subdevices.push(sub);
  }
  return { scheduler, wire, gateway, subdevices, events, image, log };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs virtual time until `done()` or `maxMs` of virtual time passed. */
export async function runUntil(scheduler: ManualScheduler, done: () => boolean, maxMs = 60_000): Promise<boolean> {
  const until = scheduler.now() + maxMs;
  for (;;) {
    await flush();
    if (done()) return true;
    const at = scheduler.nextAt();
    if (at === undefined || at > until) return false;
    scheduler.runNext();
  }
}
