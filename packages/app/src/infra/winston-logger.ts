import winston from 'winston';
import type Transport from 'winston-transport';
import type { HubLogLevel, LogContext, LogLevel, Logger } from '@iotgw/domain';
import { hubLevelRank, type LogCapture } from './log-capture.js';
import { redact, redactText } from './redact.js';

export interface WinstonLoggerOptions {
  readonly level?: LogLevel;
  /** Human-readable lines; default: when stdout is a TTY. Otherwise one JSON object per line. */
  readonly pretty?: boolean;
  /** Where lines go; default the console. Tests pass a capturing transport. */
  readonly transports?: Transport[];
  /** Keeps recent lines for the hub's log upload, at the level the hub asks for (`setCaptureLevel`). */
  readonly capture?: LogCapture;
}

// Runs last on every line: whatever a caller put in, secrets do not leave.
const redactSecrets = winston.format((info) => {
  const clean = redact({ ...info }) as Record<string | symbol, unknown>;
  for (const key of Object.keys(clean)) info[key] = clean[key];
  if (typeof info.message === 'string') info.message = redactText(info.message);
  return info;
});

/** The Logger port on winston, with redaction of secret-looking keys and values. */
export class WinstonLogger implements Logger {
  readonly #winston: winston.Logger;
  #level: LogLevel;
  #captureLevel: HubLogLevel = 'none';
  readonly #capture: LogCapture | undefined;

  constructor(options: WinstonLoggerOptions | winston.Logger = {}) {
    if (options instanceof winston.Logger) {
      this.#winston = options;
      this.#level = options.level as LogLevel;
      this.#capture = undefined;
      return;
    }
    this.#level = options.level ?? 'info';
    this.#capture = options.capture;
    const pretty = options.pretty ?? process.stdout.isTTY === true;
    const format = pretty
      ? winston.format.combine(
          redactSecrets(),
          winston.format.timestamp(),
          winston.format.printf(({ level, message, timestamp, ...rest }) => {
            const context = Object.entries(rest)
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
              .join(' ');
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${context ? ` ${context}` : ''}`;
          }),
        )
      : winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.json());
    // Each output has its own level; the logger's is the most verbose of them (setCaptureLevel).
    const outputs = (options.transports ?? [new winston.transports.Console()]).map((t) => {
      t.level ??= this.#level;
      return t;
    });
    if (options.capture) outputs.push(options.capture);
    this.#winston = winston.createLogger({ level: this.#level, format, transports: outputs });
  }

  /**
   * The level of the lines kept for the hub (`none`: none). The console keeps its own level; the
   * logger produces the more verbose of the two, so `debug` for the hub costs nothing otherwise.
   */
  setCaptureLevel(level: HubLogLevel): void {
    if (!this.#capture) return;
    this.#captureLevel = level;
    this.#capture.silent = level === 'none';
    if (level !== 'none') this.#capture.level = level;
    this.#fitLevel();
  }

  /** The level of every output but the capture: the config's, or the last `setLevel`. */
  get level(): LogLevel {
    return this.#level;
  }

  /** The level of every output but the capture (a configuration change at runtime). */
  setLevel(level: LogLevel): void {
    this.#level = level;
    for (const t of this.#winston.transports) if (t !== this.#capture) t.level = level;
    this.#fitLevel();
  }

  #fitLevel(): void {
    const capture = this.#capture && this.#captureLevel !== 'none' ? this.#captureLevel : undefined;
    this.#winston.level = capture && hubLevelRank(capture) > hubLevelRank(this.#level) ? capture : this.#level;
  }

  // winston formats a line (redaction included) before its outputs look at the level, so a line
  // no output takes is dropped here, before any of that work: debug lines on a hot path cost a
  // level lookup at info.
  debug(message: string, context?: LogContext): void {
    if (this.#winston.isLevelEnabled('debug')) this.#winston.debug(message, context);
  }
  info(message: string, context?: LogContext): void {
    if (this.#winston.isLevelEnabled('info')) this.#winston.info(message, context);
  }
  warn(message: string, context?: LogContext): void {
    if (this.#winston.isLevelEnabled('warn')) this.#winston.warn(message, context);
  }
  error(message: string, context?: LogContext): void {
    this.#winston.error(message, context);
  }
  child(context: LogContext): Logger {
    return new WinstonLogger(this.#winston.child(context));
  }
}
