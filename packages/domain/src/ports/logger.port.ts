export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Context fields carried by a log line; `subdevice` is `PID/name`. Never secrets. */
export type LogContext = Readonly<Record<string, string | number | boolean | undefined | null>>;

export interface Logger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
  /** A logger whose lines all carry `context` too. */
  child(context: LogContext): Logger;
}

/** Drops everything; the default where no logger is given. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
