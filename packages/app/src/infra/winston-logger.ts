import winston from 'winston';
import type Transport from 'winston-transport';
import type { LogContext, LogLevel, Logger } from '@iotgw/domain';
import { redact, redactText } from './redact.js';

export interface WinstonLoggerOptions {
  readonly level?: LogLevel;
  /** Human-readable lines; default: when stdout is a TTY. Otherwise one JSON object per line. */
  readonly pretty?: boolean;
  /** Where lines go; default the console. Tests pass a capturing transport. */
  readonly transports?: Transport[];
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

  constructor(options: WinstonLoggerOptions | winston.Logger = {}) {
    if (options instanceof winston.Logger) {
      this.#winston = options;
      return;
    }
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
    this.#winston = winston.createLogger({
      level: options.level ?? 'info',
      format,
      transports: options.transports ?? [new winston.transports.Console()],
    });
  }

  debug(message: string, context?: LogContext): void {
    this.#winston.debug(message, context);
  }
  info(message: string, context?: LogContext): void {
    this.#winston.info(message, context);
  }
  warn(message: string, context?: LogContext): void {
    this.#winston.warn(message, context);
  }
  error(message: string, context?: LogContext): void {
    this.#winston.error(message, context);
  }
  child(context: LogContext): Logger {
    return new WinstonLogger(this.#winston.child(context));
  }
}
