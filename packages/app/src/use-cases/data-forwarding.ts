import { inject, injectable } from 'tsyringe';
import {
  HUB_TRANSPORT,
  LOGGER,
  subdeviceKey,
  type HubTransport,
  type Logger,
  type SubdeviceId,
  type Subscription,
} from '@iotgw/domain';
import { TaskTracker } from '../task-tracker.js';
import { SubdeviceDirectory } from './subdevice-directory.js';

/**
 * Data both ways: what a subdevice sends over its link is published on its `data` channel;
 * what the hub sends down to a subdevice (its data topics, broadcasts to its product) goes over
 * the link it is attached to.
 */
@injectable()
export class DataForwarding {
  readonly #tasks: TaskTracker;
  #subscriptions: Subscription[] = [];

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(LOGGER) private readonly logger: Logger,
    private readonly directory: SubdeviceDirectory,
  ) {
    this.#tasks = new TaskTracker(logger);
  }

  start(): void {
    if (this.#subscriptions.length > 0) return;
    this.directory.open();
    for (const link of this.directory.links) {
      this.#subscriptions.push(
        link.on('data', ({ subdevice, payload }) => {
          this.#tasks.run(`forwarding data of ${subdeviceKey(subdevice)} to the hub`, (signal) =>
            this.hub.publishData(subdevice, 'data', payload, { signal }),
          );
        }),
      );
    }
    this.#subscriptions.push(
      this.hub.on('downlink', ({ subdevice, payload }) => this.#down('downlink', subdevice, payload)),
      // A broadcast to the product reaches each of its online subdevices on its own topic: as data.
      this.hub.on('broadcast', ({ subdevice, payload }) => this.#down('broadcast', subdevice, payload)),
    );
  }

  #down(what: 'downlink' | 'broadcast', subdevice: SubdeviceId, payload: Uint8Array): void {
    const key = subdeviceKey(subdevice);
    const entry = this.directory.find(subdevice);
    if (!entry) {
      this.logger.warn(`${what} for a subdevice that is not attached; dropped`, { subdevice: key });
      return;
    }
    this.#tasks.run(`forwarding ${what} to ${key}`, (signal) => entry.link.send(subdevice, payload, { signal }));
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#tasks.abort();
  }

  idle(): Promise<void> {
    return this.#tasks.idle();
  }
}
