import {
  LinkError,
  OTA_FAIL,
  toGatewayError,
  type Clock,
  type FirmwareStore,
  type SubdeviceLink,
} from '@iotgw/domain';
import type { OtaSettings } from '../../gateway-settings.js';
import { Semaphore } from '../../semaphore.js';
import type { SubdeviceDirectory } from '../subdevice-directory.js';
import { downloadFailCode } from './ota-download-leg.js';
import type { OtaRun } from './ota-run.js';

const DELIVERY_ATTEMPTS = 3;

/**
 * The second leg of a job: the verified image over the subdevice's link, at most
 * `concurrencyPerLink` deliveries per link at a time (read at each slot decision: a lower limit
 * lets running deliveries finish, a higher one starts waiting jobs at `recheckSlots`). A cut link or a quick reboot of the
 * subdevice is resumed as soon as it attaches again (the link resumes from the offset the
 * subdevice holds), up to 3 attempts. The hub hears the delivery's progress as `burning` with a
 * percent: 0 at the start, then at most once per `progressIntervalMs`, 100 at once when the
 * subdevice confirmed the write (every byte acknowledged, or it reports applying).
 */
export class OtaDeliveryLeg {
  readonly #semaphores = new Map<SubdeviceLink, Semaphore>();

  constructor(
    private readonly firmware: FirmwareStore,
    private readonly directory: SubdeviceDirectory,
    private readonly clock: Clock,
    private readonly settings: OtaSettings,
  ) {}

  async run(run: OtaRun, signal: AbortSignal): Promise<void> {
    const { subdevice, job } = run.state;
    const ota = this.settings;
    try {
      // After a restart the verified image is still in the store: obtaining it does not download again.
      run.image ??= await this.firmware.obtain(job, { signal, timeoutMs: ota.downloadTimeoutMs });
    } catch (error) {
      if (signal.aborted) return;
      run.fail(downloadFailCode(error), toGatewayError(error, 'reopening the downloaded image').message);
      return;
    }
    // After a lost link, only an attach newer than the one the failed attempt used counts.
    let lostEpoch: number | undefined;
    for (let attempt = 1; ; attempt++) {
      let entry;
      try {
        entry = await this.directory.waitForAttach(subdevice, () => true, {
          signal,
          timeoutMs: ota.attachTimeoutMs,
          ...(lostEpoch === undefined ? {} : { after: lostEpoch }),
        });
      } catch (error) {
        if (signal.aborted) return;
        run.fail(OTA_FAIL.upgradeFailed, `the subdevice was not attached to any link: ${toGatewayError(error).message}`);
        return;
      }
      let releaseSlot: (() => void) | undefined;
      try {
        releaseSlot = await this.#semaphoreOf(entry.link).acquire(signal);
        run.logger.info(`delivering firmware over link ${entry.link.name} (attempt ${attempt})`);
        // A fresh delivery says burning 0 before the first byte; a resumed one its first progress.
        if (run.state.phase === 'downloaded') this.#progress(run, 0);
        const image = run.image;
        const result = await entry.link.deliverFirmware(subdevice, image, {
          signal,
          timeoutMs: ota.deliveryTimeoutMs,
          onProgress: (p) => {
            if (p.phase === 'transferring' && p.percent < 100) this.#progress(run, p.percent);
            else this.#written(run);
          },
        });
        if (!result.ok) {
          run.fail(OTA_FAIL.upgradeFailed, `the subdevice could not apply the image (code ${result.code}): ${result.message}`);
        } else if (result.version !== job.version) {
          run.fail(OTA_FAIL.upgradeFailed, `the subdevice runs ${result.version} after the update, expected ${job.version}`);
        } else {
          this.#written(run);
          run.transition({ type: 'succeeded' });
          run.logger.info('update applied');
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        // A cut link, a quick reboot, or a link that already forgot the subdevice it just lost:
        // wait for it to come back (at once if it already has).
        const lost = error instanceof LinkError && (error.code === 'link.disconnected' || error.code === 'link.unknown_subdevice');
        if (lost && attempt < DELIVERY_ATTEMPTS) {
          lostEpoch = entry.epoch;
          run.logger.warn('the link was cut during delivery; resuming once the subdevice reattaches');
          continue;
        }
        run.fail(OTA_FAIL.upgradeFailed, `delivery over the link failed: ${toGatewayError(error).message}`);
        return;
      } finally {
        releaseSlot?.();
      }
    }
  }

  /** Delivery progress: state, status, and `burning` with the percent to the hub (rate-limited). */
  #progress(run: OtaRun, percent: number): void {
    if (run.state.phase !== 'delivering' || percent > run.state.percent) run.transition({ type: 'delivery_progress', percent });
    if (run.throttle.delivery.due(percent, this.clock.now(), this.settings.progressIntervalMs)) {
      run.report({ state: 'burning', version: run.state.job.version, percent });
    }
  }

  /** The subdevice has every byte and applies the image: burning 100, once. */
  #written(run: OtaRun): void {
    if (run.state.phase === 'burning') return;
    if (run.transition({ type: 'applying' }) && run.throttle.delivery.due(100, this.clock.now(), this.settings.progressIntervalMs)) {
      run.report({ state: 'burning', version: run.state.job.version, percent: 100 });
    }
  }

  /** `concurrencyPerLink` changed: jobs waiting for a slot start if the new limit allows them. */
  recheckSlots(): void {
    for (const s of this.#semaphores.values()) s.recheck();
  }

  #semaphoreOf(link: SubdeviceLink): Semaphore {
    let s = this.#semaphores.get(link);
    if (!s) {
      // Read at each slot decision: a configuration from the hub may change it at runtime.
      s = new Semaphore(() => this.settings.concurrencyPerLink);
      this.#semaphores.set(link, s);
    }
    return s;
  }
}
