import type { LogContext, Logger, LogLevel } from '@iotgw/domain';

export interface CapturedLine {
  readonly level: LogLevel;
  readonly message: string;
  /** The merged context of the logger chain and the call. */
  readonly context: LogContext;
}

/**
 * A Logger that keeps every line. Children share the parent's `lines`, so one logger handed to
 * the code under test captures everything. Use `text()` to assert a secret never reached a log.
 */
export class CapturingLogger implements Logger {
  readonly lines: CapturedLine[];
  readonly #context: LogContext;

  constructor(context: LogContext = {}, lines: CapturedLine[] = []) {
    this.#context = context;
    this.lines = lines;
  }

  debug(message: string, context?: LogContext): void {
    this.#write('debug', message, context);
  }
  info(message: string, context?: LogContext): void {
    this.#write('info', message, context);
  }
  warn(message: string, context?: LogContext): void {
    this.#write('warn', message, context);
  }
  error(message: string, context?: LogContext): void {
    this.#write('error', message, context);
  }

  child(context: LogContext): Logger {
    return new CapturingLogger({ ...this.#context, ...context }, this.lines);
  }

  /** Every line as `level message {context json}`, joined by newlines. */
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.context)}`).join('\n');
  }

  at(level: LogLevel): CapturedLine[] {
    return this.lines.filter((l) => l.level === level);
  }

  clear(): void {
    this.lines.length = 0;
  }

  #write(level: LogLevel, message: string, context: LogContext | undefined): void {
    this.lines.push({ level, message, context: { ...this.#context, ...context } });
  }
}
