import type { Clock } from './ports/clock.port.js';
import type { LogContext, Logger } from './ports/logger.port.js';

/**
 * Repeated warnings as a count and a summary instead of one line each: the first occurrence of a
 * kind is logged at once, the next ones within `intervalMs` are only counted, and the first one
 * after the interval is logged with how many were held back. A flood of bad input (thousands a
 * second) thus costs a line a minute, not a line each; no kind is ever silent.
 */
export class ThrottledLog {
  readonly #kinds = new Map<string, { last: number; held: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  warn(kind: string, message: string, context?: LogContext): void {
    if (this.hold(kind)) return;
    const now = this.clock.now();
    const held = this.#kinds.get(kind)?.held ?? 0;
    this.#kinds.set(kind, { last: now, held: 0 });
    this.logger.warn(held > 0 ? `${message} (and ${held} more like it since the last report)` : message, held > 0 ? { ...context, repeated: held } : context);
  }

  /**
   * Counts one occurrence of `kind` and says whether it is held back (within the interval of the
   * kind's last report). When it is, a caller on a hot path skips building the line at all; when
   * it is not, the caller's next `warn` of that kind reports it.
   */
  hold(kind: string): boolean {
    const seen = this.#kinds.get(kind);
    if (seen === undefined || this.clock.now() - seen.last >= this.intervalMs) return false;
    seen.held++;
    return true;
  }

  /** How many lines of `kind` were held back since its last report. */
  heldBack(kind: string): number {
    return this.#kinds.get(kind)?.held ?? 0;
  }
}
