import type { Gateway } from '@iotgw/app';
import { toGatewayError, type Logger } from '@iotgw/domain';

/**
 * When a running gateway stops: on SIGINT/SIGTERM (the command's signal), or to restart (a pushed
 * configuration, a self-update). The first reason to restart wins; `signal` also aborts a start
 * still under way (a version on probation rolled back while it tries to reach the hub).
 */
export class StopOrRestart {
  readonly stopped: Promise<void>;
  #reason: string | undefined;
  readonly #running = new AbortController();
  #resolve: () => void = () => undefined;

  constructor(commandSignal: AbortSignal) {
    this.stopped = new Promise<void>((resolve) => {
      this.#resolve = resolve;
      if (commandSignal.aborted) resolve();
      else commandSignal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Aborted when a restart is asked for. */
  get signal(): AbortSignal {
    return this.#running.signal;
  }

  /** Why the gateway restarts, once asked. */
  get restartReason(): string | undefined {
    return this.#reason;
  }

  restart(reason: string): void {
    this.#reason ??= reason;
    this.#running.abort();
    this.#resolve();
  }
}

const IDLE_AT_STOP_MS = 5_000;

/**
 * The orderly part of a stop, each step bounded: firmware jobs cancelled where they stand (their
 * state is on disk, the next start resumes them), subdevices taken offline (best effort: the hub
 * also marks them offline when the gateway disconnects), then background work given a moment to
 * hand readings already taken to the hub transport.
 */
export async function stopGracefully(gateway: Gateway, logger: Logger, say: (line: string) => void): Promise<void> {
  await gateway.service.ota.stop();
  say('iotgw: stopping: taking subdevices offline');
  const online = gateway.service.presence.wanted();
  if (online.length > 0) {
    await gateway.service.presence.takeOffline(online, { timeoutMs: 5_000 }).catch((error: unknown) => {
      logger.warn(`taking subdevices offline failed: ${toGatewayError(error).message}`);
    });
  }
  if (!(await settlesWithin(gateway.service.idle(), IDLE_AT_STOP_MS))) {
    logger.warn(`background work still running ${IDLE_AT_STOP_MS} ms into the stop: cancelling it`);
  }
}

/** True when `work` settled within `ms`; it is never awaited past that. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
