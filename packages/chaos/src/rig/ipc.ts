import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** What crosses the IPC channel between the rig and a child it forked (hub, subdevice). */
export type IpcMessage =
  | { readonly kind: 'request'; readonly id: number; readonly command: string; readonly args: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: boolean; readonly value?: unknown; readonly error?: string }
  | { readonly kind: 'event'; readonly event: string; readonly data: unknown };

export type IpcHandlers = Record<string, (args: never) => unknown>;

/**
 * Child side: answers the rig's requests with `handlers` and sends events. The child exits when
 * the rig goes away (the channel closes), so a killed runner leaves no hub or subdevice behind.
 */
export function serveIpc(handlers: IpcHandlers): { emit(event: string, data?: unknown): void } {
  const send = (message: IpcMessage): void => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (raw: IpcMessage) => {
    if (raw.kind !== 'request') return;
    const handler = handlers[raw.command];
    if (!handler) {
      send({ kind: 'reply', id: raw.id, ok: false, error: `unknown command ${raw.command}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(raw.args as never))
      .then(
        (value) => send({ kind: 'reply', id: raw.id, ok: true, value }),
        (error: unknown) => send({ kind: 'reply', id: raw.id, ok: false, error: (error as Error).message ?? String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  return { emit: (event, data) => send({ kind: 'event', event, data }) };
}

/** Rig side of a forked child: requests with a deadline, events as an emitter. */
export class IpcClient extends EventEmitter {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
  ) {
    super();
    child.on('message', (raw: IpcMessage) => {
      if (raw.kind === 'event') this.emit(raw.event, raw.data);
      if (raw.kind !== 'reply') return;
      const waiter = this.#pending.get(raw.id);
      if (!waiter) return;
      this.#pending.delete(raw.id);
      clearTimeout(waiter.timer);
      if (raw.ok) waiter.resolve(raw.value);
      else waiter.reject(new Error(`${name}: ${raw.error ?? 'failed'}`));
    });
    child.once('exit', () => {
      for (const [id, waiter] of this.#pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${name} exited before answering request ${id}`));
      }
      this.#pending.clear();
    });
  }

  request<T>(command: string, args: unknown = {}, timeoutMs = 15_000): Promise<T> {
    if (!this.child.connected) return Promise.reject(new Error(`${this.name} is not running (request ${command})`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name} did not answer ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ kind: 'request', id, command, args } satisfies IpcMessage);
    });
  }
}
