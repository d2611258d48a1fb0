import { subdeviceKey, type DetachReason, type GatewayError, type SubdeviceLink } from '@iotgw/domain';
import { eventually } from '@iotgw/testkit';

export interface Stamped<T> {
  readonly at: number;
  readonly value: T;
}

/** Everything a link emits, per subdevice, with arrival times (performance.now()). */
export class LinkWatch {
  readonly data = new Map<string, Array<Stamped<Record<string, unknown>>>>();
  readonly attached: Array<{ key: string; firmwareVersion: string; at: number }> = [];
  readonly detached: Array<{ key: string; reason: DetachReason; at: number }> = [];
  readonly errors: GatewayError[] = [];
  readonly #subs: Array<{ close(): void }>;

  constructor(link: SubdeviceLink) {
    this.#subs = [
      link.on('data', ({ subdevice, payload }) => {
        const key = subdeviceKey(subdevice);
        const list = this.data.get(key) ?? [];
        list.push({ at: performance.now(), value: JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown> });
        this.data.set(key, list);
      }),
      link.on('attached', (a) => this.attached.push({ key: subdeviceKey(a.subdevice), firmwareVersion: a.firmwareVersion, at: performance.now() })),
      link.on('detached', (d) => this.detached.push({ key: subdeviceKey(d.subdevice), reason: d.reason, at: performance.now() })),
      link.on('error', (e) => this.errors.push(e)),
    ];
  }

  /** Readings (not command answers) of `key` so far. */
  readings(key: string): Array<Stamped<Record<string, unknown>>> {
    return (this.data.get(key) ?? []).filter((d) => !('result' in d.value) && !('error' in d.value));
  }

  answers(key: string): Array<Record<string, unknown>> {
    return (this.data.get(key) ?? []).filter((d) => 'result' in d.value || 'error' in d.value).map((d) => d.value);
  }

  async readingCount(key: string, n: number, timeoutMs = 15_000): Promise<Array<Stamped<Record<string, unknown>>>> {
    return eventually(() => this.readings(key), (r) => r.length >= n, { timeoutMs, what: `${n} readings of ${key}` });
  }

  /** The first reading of `key` after now that `accept` likes. */
  async nextReading(key: string, accept: (r: Record<string, unknown>) => boolean = () => true, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const from = this.readings(key).length;
    const found = await eventually(
      () => this.readings(key).slice(from).find((r) => accept(r.value)),
      (r) => r !== undefined,
      { timeoutMs, what: `a matching reading of ${key}` },
    );
    return found!.value;
  }

  async until<T>(probe: () => T, accept: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
    return eventually(probe, accept, { timeoutMs, what });
  }

  close(): void {
    for (const s of this.#subs) s.close();
  }
}
