import TransportStream from 'winston-transport';
import type { HubLogLevel, UploadLogLine } from '@iotgw/domain';

const RANK: Record<HubLogLevel, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4 };
const FIELDS_NOT_IN_TEXT = new Set(['level', 'message', 'timestamp', 'component']);

export interface LogCaptureOptions {
  /** Lines kept at most (oldest dropped first). Default 2000. */
  readonly maxLines?: number;
  /** Bytes of text kept at most. Default 1 MiB. */
  readonly maxBytes?: number;
  readonly now?: () => number;
}

/**
 * The gateway's recent log lines, kept for the hub's log upload: a winston transport with a
 * bounded buffer (count and bytes; the oldest go first, counted). Lines arrive after the logger's
 * redaction, so nothing here is a secret.
 */
export class LogCapture extends TransportStream {
  readonly #lines: UploadLogLine[] = [];
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;
  #dropped = 0;

  constructor(options: LogCaptureOptions = {}) {
    super({ level: 'error' });
    this.#maxLines = options.maxLines ?? 2000;
    this.#maxBytes = options.maxBytes ?? 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /** Lines dropped because the buffer was full, since start. */
  get dropped(): number {
    return this.#dropped;
  }

  get size(): number {
    return this.#lines.length;
  }

  override log(info: Record<string, unknown>, next: () => void): void {
    const level = info.level as UploadLogLine['level'];
    if (RANK[level] !== undefined) {
      const context = Object.entries(info).filter(([k]) => !FIELDS_NOT_IN_TEXT.has(k));
      const text = `${String(info.message)}${context.length > 0 ? ` ${JSON.stringify(Object.fromEntries(context))}` : ''}`;
      this.#push({ level, time: this.#now(), tag: typeof info.component === 'string' ? info.component : 'gateway', text });
    }
    next();
  }

  /** Removes and returns up to `max` of the oldest lines at or above `level` (`none`: nothing); the rest stay. */
  take(level: HubLogLevel, max: number): UploadLogLine[] {
    const out: UploadLogLine[] = [];
    if (level === 'none') return out;
    const keep: UploadLogLine[] = [];
    for (const line of this.#lines) {
      if (out.length < max && RANK[line.level] <= RANK[level]) out.push(line);
      else keep.push(line);
    }
    this.#lines.length = 0;
    this.#lines.push(...keep);
    this.#bytes = keep.reduce((n, l) => n + l.text.length, 0);
    return out;
  }

  /** Puts lines back at the front (an upload failed): they go first next time, bounds still hold. */
  giveBack(lines: readonly UploadLogLine[]): void {
    const all = [...lines, ...this.#lines];
    this.#lines.length = 0;
    this.#bytes = 0;
    for (const line of all) this.#push(line);
  }

  #push(line: UploadLogLine): void {
    this.#lines.push(line);
    this.#bytes += line.text.length;
    while (this.#lines.length > this.#maxLines || (this.#bytes > this.#maxBytes && this.#lines.length > 1)) {
      const gone = this.#lines.shift();
      this.#bytes -= gone?.text.length ?? 0;
      this.#dropped += 1;
    }
  }
}

export function hubLevelRank(level: HubLogLevel): number {
  return RANK[level];
}
