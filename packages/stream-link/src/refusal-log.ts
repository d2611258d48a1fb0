/** How often the same refusal is reported again while the subdevice keeps saying HELLO. */
const REPORT_EVERY_MS = 60_000;

/**
 * Rate limit for refusal reports: a refused subdevice of revision 1 says HELLO every 500 ms
 * forever, and each answer must not become a log line.
 */
export class RefusalLog {
  readonly #lastReported = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** True the first time `key` is refused, and again once a minute after. */
  shouldReport(key: string): boolean {
    const now = this.now();
    const last = this.#lastReported.get(key);
    if (last !== undefined && now - last < REPORT_EVERY_MS) return false;
    if (this.#lastReported.size > 1000) this.#lastReported.clear(); // bounded: a noisy bus cannot grow it
    this.#lastReported.set(key, now);
    return true;
  }
}
