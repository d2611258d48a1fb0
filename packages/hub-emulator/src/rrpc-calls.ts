import { parseSubdeviceKey, type Logger, type SubdeviceId } from '@iotgw/domain';
import { rrpcRequestTopic } from '@iotgw/protocol-tencent';
import type { DeviceRegistry } from './device-registry.js';
import { RegistryError } from './hub-emulator.errors.js';

/** How one RRPC call from the console or admin API ended. */
export interface RrpcCallRecord {
  at: number;
  device: string;
  processId: string;
  request: string;
  status: 'waiting' | 'answered' | 'timeout';
  /** The device's reply as UTF-8 text (`replyBase64` keeps the exact bytes, as the cloud API returns them). */
  reply?: string;
  replyBase64?: string;
  elapsedMs?: number;
}

/** The hub's documented RRPC wait (hub docs "RRPC通信": 4 s; a newer copy says 10 s). */
export const DEFAULT_RRPC_TIMEOUT_MS = 4000;
const HISTORY = 50;

interface Waiting {
  readonly record: RrpcCallRecord;
  readonly resolve: () => void;
}

/**
 * The hub side of RRPC, as the cloud API `PublishRRPCMessage` does it: publish the request on
 * `$rrpc/rxd/{pid}/{dev}/{processId}` (QoS 0) to an online device, wait for the reply on
 * `$rrpc/txd/...` with the same process id, give up after the timeout. A reply after that is
 * counted in `lateReplies` and otherwise ignored (a gateway must never answer late).
 */
export class RrpcCalls {
  readonly history: RrpcCallRecord[] = [];
  lateReplies = 0;
  readonly #waiting = new Map<string, Waiting>();
  #nextId = 1;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly send: (topic: string, payload: string, qos: 0 | 1) => Promise<void>,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly changed: (record: RrpcCallRecord) => void,
  ) {}

  async call(device: string, payload: string, timeoutMs = DEFAULT_RRPC_TIMEOUT_MS): Promise<RrpcCallRecord> {
    if (!this.registry.getByKey(device)) throw new RegistryError(`device ${device} is not in the registry`);
    if (!this.registry.isOnline(device)) throw new RegistryError(`device ${device} is offline: the hub sends RRPC only to online devices`);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) throw new RegistryError('"timeoutMs" must be 1..60000');
    const processId = String(this.#nextId++);
    const record: RrpcCallRecord = { at: this.now(), device, processId, request: payload, status: 'waiting' };
    this.history.push(record);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    const key = `${device}/${processId}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<void>((resolve) => {
      this.#waiting.set(key, { record, resolve });
      timer = setTimeout(resolve, timeoutMs);
    });
    this.changed(record);
    await this.send(rrpcRequestTopic(parseSubdeviceKey(device), processId), payload, 0);
    await answered;
    clearTimeout(timer);
    this.#waiting.delete(key);
    if (record.status === 'waiting') {
      record.status = 'timeout';
      record.elapsedMs = this.now() - record.at;
      this.logger.info('RRPC timed out', { device, processId, timeoutMs });
      this.changed(record);
    }
    return record;
  }

  /** A reply on `$rrpc/txd/...`: completes the waiting call, or counts as late. */
  reply(device: SubdeviceId, processId: string, payload: Buffer): void {
    const key = `${device.productId}/${device.deviceName}/${processId}`;
    const waiting = this.#waiting.get(key);
    if (!waiting || waiting.record.status !== 'waiting') {
      this.lateReplies++;
      this.logger.warn('RRPC reply for no waiting call (late or unknown process id): ignored', { device: `${device.productId}/${device.deviceName}`, processId });
      return;
    }
    const record = waiting.record;
    record.status = 'answered';
    record.reply = payload.toString('utf8');
    record.replyBase64 = payload.toString('base64');
    record.elapsedMs = this.now() - record.at;
    this.changed(record);
    waiting.resolve();
  }
}
