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
  /** Readings in flight on the link at once (see `pump`); default 1, stop-and-wait. */
  readonly dataWindow?: number;
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
    const dropped = queue.shift();
    if (dropped) inFlight.delete(dropped);
    droppedBySubdevice += 1;
  }
  queue.push({ sub: options.deviceName, boot: options.boot, seq: generated, ts: Date.now() });
  pump();
}

/**
 * Readings handed to the link and not acknowledged yet: at most `dataWindow` (1: stop-and-wait,
 * the default; up to 64 as the link protocol allows, §7 "In flight"), always the oldest ones, sent
 * in order. A reading the link gives up on stays first in the queue and goes again (a new DATA)
 * after a pause, before any reading not yet sent.
 */
const dataWindow = options.dataWindow ?? 1;
const inFlight = new Set<Reading>();
let pausedAfterFailure: NodeJS.Timeout | undefined;

function pump(): void {
  if (pausedAfterFailure) return;
  for (const reading of queue) {
    if (inFlight.size >= dataWindow) return;
    if (!inFlight.has(reading)) send(reading);
  }
}

function send(reading: Reading): void {
  inFlight.add(reading);
  sim.sendData(Buffer.from(JSON.stringify(reading)), 1_000).then(
    () => {
      inFlight.delete(reading);
      writeSync(acked, `${reading.boot} ${reading.seq} ${Date.now()} ${reading.ts}\n`);
      ackedCount += 1;
      const at = queue.indexOf(reading); // the first, unless an older one failed meanwhile
      if (at >= 0) queue.splice(at, 1);
      pump();
    },
    () => {
      // Not acknowledged (no gateway, link down, timeout): keep it and try again, in order.
      inFlight.delete(reading);
      pausedAfterFailure ??= setTimeout(() => {
        pausedAfterFailure = undefined;
        pump();
      }, 100);
    },
  );
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
process.on('SIGTERM', () => {
  sim.stop(true);
  setTimeout(() => void cable.close().finally(() => process.exit(0)), 50);
});
