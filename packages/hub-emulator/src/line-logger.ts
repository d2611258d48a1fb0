import type { LogContext, Logger, LogLevel } from '@iotgw/domain';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function formatValue(value: LogContext[string]): string {
  const text = String(value);
  // Quote only when needed, so `device=GW00000001/gw1` stays easy to read and to grep.
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * A logger that writes one readable line per event (`time level message key=value ...`), for the
 * `iotgw hub` command: a person watching the terminal sees why a device was refused. Callers
 * never pass secrets in the context (the Logger contract), so nothing is filtered here.
 */
export function lineLogger(write: (line: string) => void, level: LogLevel = 'warn', context: LogContext = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const log =
    (at: LogLevel) =>
    (message: string, extra?: LogContext): void => {
      if (LOG_LEVELS.indexOf(at) < threshold) return;
      const fields = Object.entries({ ...context, ...extra })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${formatValue(v)}`);
      write([new Date().toISOString(), at.padEnd(5), message, ...fields].join(' '));
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => lineLogger(write, level, { ...context, ...more }),
  };
}
