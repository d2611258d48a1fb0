import { HubDisconnectedError, subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import type { ResultOperation } from '@iotgw/protocol-tencent';

type Waiter<T> = {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
  users: number;
};

/**
 * Matches hub replies to waiting calls. The hub's replies carry no request id, only type + device,
 * so the key is `{type}|{pid}/{dev}`. Two callers asking the same thing at once share one request
 * and one reply; a waiter is dropped when its last user gives up (timeout, cancel).
 */
export class OperationCorrelator {
  readonly #results = new Map<string, Waiter<number>>();
  #listWaiter: Waiter<SubdeviceId[]> | undefined;

  static key(type: ResultOperation, subdevice: SubdeviceId): string {
    return `${type}|${subdeviceKey(subdevice)}`;
  }

  /** Waits for the result of `type` for `subdevice`; `fresh` says whether a request must be sent. */
  waitResult(type: ResultOperation, subdevice: SubdeviceId): { promise: Promise<number>; fresh: boolean; release: () => void } {
    const key = OperationCorrelator.key(type, subdevice);
    let waiter = this.#results.get(key);
    const fresh = waiter === undefined;
    if (!waiter) {
      waiter = makeWaiter<number>();
      this.#results.set(key, waiter);
    }
    waiter.users++;
    const w = waiter;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      w.users--;
      if (w.users <= 0 && this.#results.get(key) === w) this.#results.delete(key);
    };
    return { promise: w.promise, fresh, release };
  }

  /** A reply arrived; true when someone was waiting for it. */
  resolveResult(type: ResultOperation, subdevice: SubdeviceId, result: number): boolean {
    const key = OperationCorrelator.key(type, subdevice);
    const waiter = this.#results.get(key);
    if (!waiter) return false;
    this.#results.delete(key);
    waiter.resolve(result);
    return true;
  }

  waitList(): { promise: Promise<SubdeviceId[]>; fresh: boolean; release: () => void } {
    const fresh = this.#listWaiter === undefined;
    const w = this.#listWaiter ?? makeWaiter<SubdeviceId[]>();
    this.#listWaiter = w;
    w.users++;
    let released = false;
    return {
      promise: w.promise,
      fresh,
      release: () => {
        if (released) return;
        released = true;
        w.users--;
        if (w.users <= 0 && this.#listWaiter === w) this.#listWaiter = undefined;
      },
    };
  }

  resolveList(devices: SubdeviceId[]): boolean {
    const w = this.#listWaiter;
    if (!w) return false;
    this.#listWaiter = undefined;
    w.resolve(devices);
    return true;
  }

  /** The connection went away: nothing in flight can be answered any more. */
  rejectAll(error: Error = new HubDisconnectedError('connection to the hub lost before the reply')): void {
    for (const w of this.#results.values()) w.reject(error);
    this.#results.clear();
    this.#listWaiter?.reject(error);
    this.#listWaiter = undefined;
  }

  get pending(): number {
    return this.#results.size + (this.#listWaiter ? 1 : 0);
  }
}

function makeWaiter<T>(): Waiter<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A waiter whose users all gave up may still be rejected later: that must not be unhandled.
  promise.catch(() => {});
  return { promise, resolve, reject, users: 0 };
}
