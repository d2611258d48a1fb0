// One simulated subdevice in its own process: the testkit simulator speaking the link protocol on
// its end of a socat pty pair, producing tagged readings at a set rate. Like an MCU it keeps what
// it measured in RAM until the gateway acknowledges it on the link, retrying in order; every
// acknowledged reading is appended to the acked file (synchronously), and from that moment it is
// the gateway's to deliver: the ledger counts it as produced.
import { openSync, writeSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { Subscription } from '@iotgw/domain';
import { SubdeviceSimulator, type ByteStream } from '@iotgw/testkit';
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

/**
 * The subdevice's end of the pty, reopened whenever it goes away: killing socat is unplugging
 * the cable, and a new socat on the same paths is plugging it back in.
 */
class ReopeningPort implements ByteStream {
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  #port: SerialPort | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly onState: (open: boolean) => void,
  ) {}

  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  open(): void {
    if (this.#closed) return;
    const port = new SerialPort({ path: this.path, baudRate: 115200, autoOpen: false });
    this.#port = port;
    port.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      for (const l of [...this.#listeners]) l(bytes);
    });
    // A write racing a vanished pty fails: a lost frame, which the link protocol retransmits.
    port.on('error', () => this.#lost(port));
    port.on('close', () => this.#lost(port));
    port.open((error) => {
      if (error) this.#lost(port);
      else this.onState(true);
    });
  }

  #lost(port: SerialPort): void {
    if (this.#port !== port || this.#closed) return;
    this.#port = undefined;
    this.onState(false);
    if (port.isOpen) port.close(() => undefined);
    this.#retry = setTimeout(() => this.open(), 100);
  }

  write(bytes: Uint8Array): void {
    const port = this.#port;
    if (port?.isOpen) port.write(Buffer.from(bytes), () => undefined);
  }

  onData(listener: (bytes: Uint8Array) => void): Subscription {
    this.#listeners.add(listener);
    return { close: () => void this.#listeners.delete(listener) };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    if (this.#port?.isOpen) this.#port.close(() => undefined);
  }
}

const options = JSON.parse(process.env['CHAOS_SUBDEVICE_OPTIONS'] ?? '{}') as SubdeviceProcessOptions;
const acked = openSync(options.ackedFile, 'a');
const events: { emit(event: string, data?: unknown): void } = { emit: () => undefined };
const port = new ReopeningPort(options.path, (open) => events.emit(open ? 'port-open' : 'port-closed'));
const sim = new SubdeviceSimulator(port, {
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

sim.events.on('connected', ({ version }) => events.emit('connected', { version }));
sim.events.on('disconnected', () => events.emit('disconnected'));
sim.events.on('applied', (info) => events.emit('applied', info));

const ipc = serveIpc({
  state: () => ({ connected: sim.connected, version: sim.version, portOpen: port.isOpen, queued: queue.length, generated, acked: ackedCount, droppedBySubdevice, offersFrom: sim.offersFrom }),
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
port.open();
sim.start();
if (options.ratePerSec > 0) timer = setInterval(produce, 1000 / options.ratePerSec);
sendLoop().catch((error: unknown) => {
  console.error('send loop failed', error);
  process.exit(1);
});
process.on('SIGTERM', () => {
  sim.stop(true);
  setTimeout(() => {
    port.close();
    process.exit(0);
  }, 50);
});
