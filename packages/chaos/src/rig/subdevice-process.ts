// One simulated subdevice in its own process: the simulators' subdevice speaking the link protocol on
// its end of a socat pty pair, producing tagged readings at a set rate. Like an MCU it keeps what
// it measured in RAM until the gateway acknowledges it on the link, retrying in order; every
// acknowledged reading is appended to the acked file (synchronously), and from that moment it is
// the gateway's to deliver: the ledger counts it as produced.
import { openSync, writeSync } from 'node:fs';
import { SerialStreamProvider } from '@iotgw/adapters-serial';
import { SubdeviceSimulator } from '@iotgw/simulators';
import { serveIpc } from './ipc.js';

export interface SubdeviceProcessOptions {
  readonly path: string;
  readonly productId: string;
  readonly deviceName: string;
  readonly version: string;
  /** Readings per second (0: none). */
  readonly ratePerSec: number;
  readonly ackedFile: string;
  /** How many times this subdevice was powered on: readings of a later boot come after every reading of an earlier one. */
  readonly boot: number;
  readonly applyMs?: number;
  readonly rebootAfterApplyMs?: number;
}

/** A tagged reading: which subdevice, which power-on, its sequence number in that boot, when it was measured. */
export interface Reading {
  readonly sub: string;
  readonly boot: number;
  readonly seq: number;
  readonly ts: number;
}

const options = JSON.parse(process.env['CHAOS_SUBDEVICE_OPTIONS'] ?? '{}') as SubdeviceProcessOptions;
const acked = openSync(options.ackedFile, 'a');
const events: { emit(event: string, data?: unknown): void } = { emit: () => undefined };
const sim = new SubdeviceSimulator(undefined, {
  productId: options.productId,
  deviceName: options.deviceName,
  firmwareVersion: options.version,
  ...(options.applyMs !== undefined ? { applyMs: options.applyMs } : {}),
  ...(options.rebootAfterApplyMs !== undefined ? { rebootAfterApplyMs: options.rebootAfterApplyMs } : {}),
});

const queue: Reading[] = [];
const MAX_QUEUE = 200_000;
let generated = 0;
let ackedCount = 0;
let droppedBySubdevice = 0;
let producing = true;
let timer: NodeJS.Timeout | undefined;

function produce(): void {
  if (!producing) return;
  generated += 1;
  // A full RAM buffer drops the oldest: the subdevice's own loss, never acked, so never counted against the gateway.
  if (queue.length >= MAX_QUEUE) {
    queue.shift();
    droppedBySubdevice += 1;
  }
  queue.push({ sub: options.deviceName, boot: options.boot, seq: generated, ts: Date.now() });
  wake?.();
}

let wake: (() => void) | undefined;
async function sendLoop(): Promise<void> {
  for (;;) {
    const next = queue[0];
    if (!next) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    try {
      await sim.sendData(Buffer.from(JSON.stringify(next)), 1_000);
      writeSync(acked, `${next.boot} ${next.seq} ${Date.now()} ${next.ts}\n`);
      ackedCount += 1;
      queue.shift();
    } catch {
      // Not acknowledged (no gateway, link down, timeout): keep it and try again, in order.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The subdevice's end of the pty, reopened whenever it goes away: killing socat is unplugging the
 * cable, and a new socat on the same paths is plugging it back in. Each open is a new stream.
 */
const cable = new SerialStreamProvider({ path: options.path, baudRate: 115200, reopenIntervalMs: 100 });
let portOpen = false;
cable.on('stream', ({ stream }) => {
  // A write racing a vanished pty fails: a lost frame, which the link protocol retransmits.
  stream.on('error', () => undefined);
  stream.on('closed', () => {
    portOpen = false;
    events.emit('port-closed');
  });
  portOpen = true;
  events.emit('port-open');
  sim.use(stream);
});

sim.events.on('connected', ({ version }) => events.emit('connected', { version }));
sim.events.on('disconnected', () => events.emit('disconnected'));
sim.events.on('applied', (info) => events.emit('applied', info));

const ipc = serveIpc({
  state: () => ({ connected: sim.connected, version: sim.version, portOpen, queued: queue.length, generated, acked: ackedCount, droppedBySubdevice, offersFrom: sim.offersFrom }),
  /** Stops measuring; resolves once everything measured was acknowledged (or after `timeoutMs`). */
  stopProducing: async (args: { timeoutMs?: number }) => {
    producing = false;
    clearInterval(timer);
    const deadline = Date.now() + (args.timeoutMs ?? 30_000);
    while (queue.length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return { queued: queue.length, generated, acked: ackedCount };
  },
  /** Power-cycles the engine: a fresh HELLO while attached (the gateway sees detach + attach). */
  rehello: () => {
    sim.restart();
    return sim.version;
  },
});

events.emit = (event, data) => ipc.emit(event, data);
sim.start();
// No deadline: the cable may be plugged in at any time.
cable.open({ timeoutMs: Number.POSITIVE_INFINITY }).catch((error: unknown) => {
  console.error('cannot open the subdevice port', error);
  process.exit(1);
});
if (options.ratePerSec > 0) timer = setInterval(produce, 1000 / options.ratePerSec);
sendLoop().catch((error: unknown) => {
  console.error('send loop failed', error);
  process.exit(1);
});
process.on('SIGTERM', () => {
  sim.stop(true);
  setTimeout(() => void cable.close().finally(() => process.exit(0)), 50);
});
