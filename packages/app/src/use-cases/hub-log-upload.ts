import {
  ThrottledLog,
  toGatewayError,
  type Clock,
  type GatewayDeviceServices,
  type HubLogLevel,
  type HubTransport,
  type Logger,
  type LogUploader,
  type Subscription,
} from '@iotgw/domain';
import type { LogCapture } from '../infra/log-capture.js';
import { onEveryConnection } from './on-every-connection.js';

export interface HubLogUploadOptions {
  readonly hub: HubTransport & GatewayDeviceServices;
  readonly uploader: LogUploader;
  readonly capture: LogCapture;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when the hub's level changes (the host widens what the logger produces). */
  readonly onLevel?: (level: HubLogLevel) => void;
  /** How often captured lines are sent. Default 30 s (the Java SDK's period). */
  readonly intervalMs?: number;
  /** Lines per upload at most. Default 500. */
  readonly maxLinesPerUpload?: number;
  readonly uploadTimeoutMs?: number;
}

/**
 * Logs from afar: asks the hub for the gateway's log level on every connection, follows the
 * console's changes, and sends the captured lines at or above that level every interval. `none`
 * (the hub's default) sends nothing. A failed upload keeps its lines for the next one (bounded by
 * the capture), and says so once per interval, not once per line.
 */
export class HubLogUpload {
  readonly #o: HubLogUploadOptions;
  readonly #warnings: ThrottledLog;
  #level: HubLogLevel = 'none';
  #subscriptions: Subscription[] = [];
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #uploading: Promise<void> | undefined;
  #uploaded = 0;

  constructor(options: HubLogUploadOptions) {
    this.#o = options;
    this.#warnings = new ThrottledLog(options.logger, options.clock);
  }

  get level(): HubLogLevel {
    return this.#level;
  }

  /** Lines the hub accepted since start. */
  get uploaded(): number {
    return this.#uploaded;
  }

  start(): void {
    const { hub } = this.#o;
    this.#subscriptions.push(
      hub.on('logLevel', (level) => this.#setLevel(level)),
      onEveryConnection(hub, () => this.#ask()),
    );
    this.#loop = this.#every(this.#o.intervalMs ?? 30_000);
  }

  /** Sends what is captured now (also used at stop, bounded by the timeout). */
  async flush(): Promise<void> {
    if (this.#uploading) return this.#uploading;
    this.#uploading = this.#upload().finally(() => (this.#uploading = undefined));
    return this.#uploading;
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    this.#stop.abort();
    await this.#loop;
    await this.#uploading;
  }

  #ask(): void {
    this.#o.hub.requestLogLevel({ timeoutMs: 10_000 }).catch((error: unknown) => {
      this.#warnings.warn('log-level', `asking the hub for the log level failed: ${toGatewayError(error).message}`);
    });
  }

  #setLevel(level: HubLogLevel): void {
    if (level === this.#level) return;
    this.#o.logger.info(`the hub asks for the gateway's log lines at level ${level}${level === 'none' ? ' (no upload)' : ''}`);
    this.#level = level;
    this.#o.onLevel?.(level);
  }

  async #every(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.#o.clock.sleep(ms, signal);
      } catch {
        return; // stopped
      }
      await this.flush();
    }
  }

  async #upload(): Promise<void> {
    if (this.#level === 'none' || this.#o.hub.state !== 'connected') return;
    const lines = this.#o.capture.take(this.#level, this.#o.maxLinesPerUpload ?? 500);
    if (lines.length === 0) return;
    try {
      await this.#o.uploader.upload(lines, { timeoutMs: this.#o.uploadTimeoutMs ?? 15_000 });
      this.#uploaded += lines.length;
    } catch (error) {
      this.#o.capture.giveBack(lines);
      this.#warnings.warn('log-upload', `uploading ${lines.length} log line(s) to the hub failed (kept for the next try): ${toGatewayError(error).message}`);
    }
  }
}
