import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import type { TaskTracker } from './task-tracker.js';

/**
 * Background work per subdevice, one step at a time in the order it was asked for: each step runs
 * after the subdevice's earlier ones settled (success or failure), on the tracker's tasks.
 */
export class SubdeviceTurns {
  readonly #turns = new Map<string, Promise<void>>();

  constructor(private readonly tasks: TaskTracker) {}

  run(subdevice: SubdeviceId, what: string, work: (signal: AbortSignal) => Promise<void>): void {
    const key = subdeviceKey(subdevice);
    const previous = this.#turns.get(key) ?? Promise.resolve();
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    this.#turns.set(key, turn);
    this.tasks.run(what, async (signal) => {
      try {
        await previous;
        if (!signal.aborted) await work(signal);
      } finally {
        done();
        if (this.#turns.get(key) === turn) this.#turns.delete(key);
      }
    });
  }
}
