/** Default bound on how long a reading sent at once waits for its PUBACK before an fsync. */
export const DEFAULT_ACK_GRACE_MAX_MS = 10;

/**
 * How long the hub takes to acknowledge a QoS 1 publish, smoothed as TCP smooths its round trip
 * (RFC 6298: srtt, rttvar), and from it how long a reading sent at once should wait for its
 * PUBACK before the offline store fsyncs it instead. On a near hub the PUBACK comes well before
 * an fsync would end, so waiting for it saves the fsync (it was most of the adapter's CPU at one
 * reading at a time); on a far or slow hub (smoothed round trip past `maxMs`) the reading is
 * fsynced at once, as before. Either way it is durable at most about `maxMs` plus an fsync
 * after it was sent.
 */
export class AckRoundTrip {
  #srtt = -1;
  #rttvar = 0;

  constructor(private readonly maxMs = DEFAULT_ACK_GRACE_MAX_MS) {}

  /** One publish's time from send to PUBACK, ms. */
  sample(ms: number): void {
    if (this.#srtt < 0) {
      this.#srtt = ms;
      this.#rttvar = ms / 2;
      return;
    }
    this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - ms);
    this.#srtt = 0.875 * this.#srtt + 0.125 * ms;
  }

  /**
   * How long to wait for the PUBACK before an fsync, whole ms; 0: fsync at once (nothing
   * measured yet, turned off, or the smoothed round trip itself is past `maxMs`: a far hub).
   * The round trip plus 4× its variation, at most `maxMs` (a stall here and there, a GC pause,
   * widens the wait instead of giving it up), plus one: the store's clock counts whole
   * milliseconds, so a grace of 1 could end at once.
   */
  graceMs(): number {
    if (this.#srtt < 0 || this.maxMs <= 0 || this.#srtt > this.maxMs) return 0;
    return Math.min(this.maxMs, Math.ceil(this.#srtt + 4 * this.#rttvar)) + 1;
  }
}
