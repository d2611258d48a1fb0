import {
  TypedEmitter,
  type ByteStreamProvider,
  type ByteStreamProviderEvents,
  type CallOptions,
  type SubdeviceId,
  type Subscription,
} from '@iotgw/domain';
import { createMemoryPipe } from './memory-pipe.js';
import { createThrottledPipe, type ThrottledPipeOptions } from './throttled-pipe.js';
import type { PipeEnd } from './pipe-end.js';

export interface PlugOptions {
  /** The subdevice this cable is for (as a BLE connection is); undefined for a bus. */
  readonly subdevice?: SubdeviceId;
  /** Make the cable a serial-like line (rate, latency, faults) instead of an instant pipe. */
  readonly line?: ThrottledPipeOptions;
}

/**
 * A ByteStreamProvider of simulated cables, for running a link-protocol link in memory: `plug`
 * lays a new cable, hands its gateway end to the link (a `stream` event, once the provider is
 * open) and returns the subdevice end for a SubdeviceSimulator (several simulators on one end
 * share it like a bus). Closing either end unplugs the cable.
 */
export class MemoryStreamProvider implements ByteStreamProvider {
  readonly name: string;
  readonly #events = new TypedEmitter<ByteStreamProviderEvents>();
  readonly #pending: Array<{ end: PipeEnd; subdevice?: SubdeviceId }> = [];
  readonly #open = new Set<PipeEnd>();
  #running = false;

  constructor(name = 'memory') {
    this.name = name;
  }

  on<K extends keyof ByteStreamProviderEvents & string>(event: K, listener: ByteStreamProviderEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  open(_options: CallOptions = {}): Promise<void> {
    this.#running = true;
    for (const cable of this.#pending.splice(0)) this.#provide(cable.end, cable.subdevice);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.#running = false;
    const ends = [...this.#open];
    this.#open.clear();
    await Promise.all(ends.map((end) => end.close()));
  }

  /** Lays a cable and returns the subdevice's end of it. */
  plug(options: PlugOptions = {}): PipeEnd {
    const [gateway, device] = options.line ? pairOf(createThrottledPipe(options.line)) : createMemoryPipe();
    if (this.#running) this.#provide(gateway, options.subdevice);
    else this.#pending.push({ end: gateway, ...(options.subdevice ? { subdevice: options.subdevice } : {}) });
    return device;
  }

  #provide(end: PipeEnd, subdevice: SubdeviceId | undefined): void {
    if (!end.isOpen) return;
    this.#open.add(end);
    end.on('closed', () => this.#open.delete(end));
    this.#events.emit('stream', { stream: end, ...(subdevice ? { subdevice } : {}) });
  }
}

function pairOf(pipe: { readonly a: PipeEnd; readonly b: PipeEnd }): [PipeEnd, PipeEnd] {
  return [pipe.a, pipe.b];
}
