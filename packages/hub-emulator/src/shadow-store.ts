import { parseSubdeviceKey, type Logger, type ShadowState } from '@iotgw/domain';
import {
  decodeShadowDeviceMessage,
  encodeShadowDelta,
  encodeShadowReply,
  SHADOW_RESULT,
  shadowOperationResultTopic,
  type ShadowDeviceMessage,
} from '@iotgw/protocol-tencent';
import type { DeviceRegistry } from './device-registry.js';
import { RegistryError } from './hub-emulator.errors.js';

/** One device's shadow as the hub keeps it. */
export interface ShadowRecord {
  version: number;
  reported: ShadowState;
  desired: ShadowState | undefined;
  /** When each field was last changed, unix s (the hub's `metadata`, kept flat). */
  updatedAt: number;
}

/**
 * The hub's device shadows: `get`/`update` from devices on `$shadow/operation/{pid}/{dev}`,
 * answered on `.../result/...`; desired state set from the console pushes a `delta` to an online
 * device and is kept for one that is offline (its next `get` shows the delta), until the device
 * clears it (`"desired": null`). `version` counts every change; a non-zero `version` in an update
 * must match (else 5005 with the current document), 0 or none skips the check.
 */
export class ShadowStore {
  readonly #shadows = new Map<string, ShadowRecord>();

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly send: (topic: string, payload: string, qos: 0 | 1) => Promise<void>,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly protocolError: (topic: string, reason: string) => void,
    private readonly changed: (device: string, record: ShadowRecord) => void,
  ) {}

  /** Every shadow the hub holds, by device key, with its current delta. */
  list(): Array<{ device: string; delta: ShadowState | undefined } & ShadowRecord> {
    return [...this.#shadows].map(([device, r]) => ({ device, ...r, delta: this.delta(r) }));
  }

  of(device: string): ShadowRecord {
    let record = this.#shadows.get(device);
    if (!record) {
      record = { version: 0, reported: {}, desired: undefined, updatedAt: 0 };
      this.#shadows.set(device, record);
    }
    return record;
  }

  /** What desired asks that reported does not say (undefined when nothing). */
  delta(record: ShadowRecord): ShadowState | undefined {
    if (!record.desired) return undefined;
    const delta: ShadowState = {};
    for (const [k, v] of Object.entries(record.desired)) if (JSON.stringify(record.reported[k]) !== JSON.stringify(v)) delta[k] = v;
    return Object.keys(delta).length > 0 ? delta : undefined;
  }

  /** The console (or the cloud API) sets desired state: merged, version + 1, delta pushed if online. */
  async setDesired(device: string, desired: ShadowState): Promise<ShadowRecord> {
    if (!this.registry.getByKey(device)) throw new RegistryError(`device ${device} is not in the registry`);
    const record = this.of(device);
    record.desired = { ...record.desired, ...desired };
    for (const [k, v] of Object.entries(record.desired)) if (v === null) delete record.desired[k];
    record.version++;
    record.updatedAt = this.#seconds();
    this.changed(device, record);
    const delta = this.delta(record);
    if (delta && this.registry.isOnline(device)) {
      await this.send(shadowOperationResultTopic(parseSubdeviceKey(device)), encodeShadowDelta({ version: record.version, state: delta, timestamp: record.updatedAt }), 0);
    }
    return record;
  }

  async handle(device: string, topic: string, payload: Buffer): Promise<void> {
    const decoded = decodeShadowDeviceMessage(payload);
    if (!decoded.ok) return this.protocolError(topic, decoded.error.message);
    const m = decoded.value;
    const record = this.of(device);
    const reply = (result: number, state: Parameters<typeof encodeShadowReply>[0]['state']): Promise<void> =>
      this.send(shadowOperationResultTopic(parseSubdeviceKey(device)), encodeShadowReply({ operation: m.type, result, clientToken: m.clientToken, timestamp: this.#seconds(), version: record.version, state }), 0);
    if (m.type === 'get') return reply(SHADOW_RESULT.ok, this.#document(record));
    if (m.version && m.version !== record.version) {
      this.logger.info('shadow update refused: version conflict', { device, sent: m.version, current: record.version });
      return reply(SHADOW_RESULT.versionConflict, this.#document(record));
    }
    this.#apply(record, m);
    this.changed(device, record);
    return reply(SHADOW_RESULT.ok, { ...(m.reported ? { reported: m.reported } : {}), ...(m.desired === null ? { desired: null } : {}) });
  }

  #apply(record: ShadowRecord, m: Extract<ShadowDeviceMessage, { type: 'update' }>): void {
    if (m.reported) {
      for (const [k, v] of Object.entries(m.reported)) {
        if (v === null) delete record.reported[k];
        else record.reported[k] = v;
      }
    }
    if (m.desired === null) record.desired = undefined;
    else if (m.desired) record.desired = { ...record.desired, ...m.desired };
    record.version++;
    record.updatedAt = this.#seconds();
  }

  #document(record: ShadowRecord): { reported: ShadowState; desired?: ShadowState; delta?: ShadowState } {
    const delta = this.delta(record);
    return { reported: record.reported, ...(record.desired ? { desired: record.desired } : {}), ...(delta ? { delta } : {}) };
  }

  #seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
