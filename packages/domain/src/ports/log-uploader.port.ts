import type { CallOptions } from '../call-options.js';
import type { HubLogLevel } from './hub-transport.port.js';

/** One log line as the hub stores it: already redacted, never a secret. */
export interface UploadLogLine {
  readonly level: Exclude<HubLogLevel, 'none'>;
  /** Epoch ms. */
  readonly time: number;
  /** Where the line comes from: a component (`hub`, `link 0`, ...). */
  readonly tag: string;
  readonly text: string;
}

/** Sends the gateway's recent log lines to the hub (Tencent: a signed HTTPS POST). */
export interface LogUploader {
  /** Resolves once the hub accepted the batch; rejects with a GatewayError otherwise. */
  upload(lines: readonly UploadLogLine[], options?: CallOptions): Promise<void>;
}
