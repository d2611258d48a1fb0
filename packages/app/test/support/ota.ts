import { serializeOtaJob, startOtaJob, type FirmwareJob, type JsonValue, type OtaJobState, type SubdeviceId } from '@iotgw/domain';
import { MemoryStateStore } from '@iotgw/testkit';
import { otaStateKey } from '../../src/index.js';

/** A MemoryStateStore that also remembers the phase of every OTA document written. */
export class PhaseRecordingStore extends MemoryStateStore {
  readonly phases: string[] = [];

  override put(key: string, value: JsonValue, options?: { signal?: AbortSignal }): Promise<void> {
    if (key.startsWith('ota/') && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const phase = value['phase'];
      const last = this.phases[this.phases.length - 1];
      if (typeof phase === 'string' && phase !== last) this.phases.push(phase);
    }
    return super.put(key, value, options);
  }

  job(sub: SubdeviceId): JsonValue | undefined {
    return this.snapshot()[otaStateKey(sub)];
  }
}

/** Puts a job in `phase` straight into the store, as a previous run would have left it. */
export async function seedJob(
  store: MemoryStateStore,
  sub: SubdeviceId,
  job: FirmwareJob,
  patch: Partial<OtaJobState>,
): Promise<void> {
  const state: OtaJobState = { ...startOtaJob(sub, job, '1.0.0', Date.UTC(2026, 0, 1)), ...patch };
  await store.put(otaStateKey(sub), serializeOtaJob(state));
}

export const IMAGE = 'firmware image bytes '.repeat(20); // 420 bytes
export const URL_V2 = 'https://firmware.example/sensor-2.0.0.bin';
