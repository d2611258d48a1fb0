import type { HubLogLevel, LogContext, LogLevel, Logger } from '@iotgw/domain';

const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * A caller's Logger (a test's capturing one) behind a level the hub may change at runtime, as the
 * gateway's winston logger is: the demo's remote configuration step changes it and reads it back.
 * Children share the level.
 */
export class LevelledLogger implements Logger {
  readonly #inner: Logger;
  readonly #state: { level: LogLevel };

  constructor(inner: Logger, level: LogLevel | { level: LogLevel }) {
    this.#inner = inner;
    this.#state = typeof level === 'string' ? { level } : level;
  }

  get level(): LogLevel {
    return this.#state.level;
  }

  setLevel(level: LogLevel): void {
    this.#state.level = level;
  }

  /** The demo uploads no logs: nothing is captured for the hub. */
  setCaptureLevel(_level: HubLogLevel): void {}

  debug(message: string, context?: LogContext): void {
    if (this.#on('debug')) this.#inner.debug(message, context);
  }
  info(message: string, context?: LogContext): void {
    if (this.#on('info')) this.#inner.info(message, context);
  }
  warn(message: string, context?: LogContext): void {
    if (this.#on('warn')) this.#inner.warn(message, context);
  }
  error(message: string, context?: LogContext): void {
    if (this.#on('error')) this.#inner.error(message, context);
  }
  child(context: LogContext): Logger {
    return new LevelledLogger(this.#inner.child(context), this.#state);
  }

  #on(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.#state.level];
  }
}
