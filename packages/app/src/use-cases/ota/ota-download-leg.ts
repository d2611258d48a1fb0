import {
  FirmwareError,
  OTA_FAIL,
  toGatewayError,
  type Clock,
  type FirmwareStore,
  type OtaFailCode,
} from '@iotgw/domain';
import type { OtaSettings } from '../../gateway-settings.js';
import type { OtaRun } from './ota-run.js';

/**
 * The first leg of a job: the image from the hub's URL into the FirmwareStore (which shares one
 * download among subdevices needing the same image and resumes what it kept). The hub hears
 * `downloading` 0% at once, then at most one report per `progressIntervalMs`, and 100% at once.
 */
export class OtaDownloadLeg {
  constructor(
    private readonly firmware: FirmwareStore,
    private readonly clock: Clock,
    private readonly settings: OtaSettings,
  ) {}

  async run(run: OtaRun, signal: AbortSignal): Promise<void> {
    const interval = this.settings.progressIntervalMs;
    const report = (percent: number): void => {
      if (run.throttle.download.due(percent, this.clock.now(), interval)) {
        run.report({ state: 'downloading', version: run.state.job.version, percent });
      }
    };
    // 0% (or what a resumed job had) at once, before the store says anything.
    report(run.state.phase === 'downloading' ? run.state.percent : 0);
    const onPercent = (percent: number): void => {
      if (percent > run.state.percent || run.state.phase === 'update_received') {
        run.transition({ type: 'download_progress', percent });
      }
      report(percent);
    };
    try {
      run.image = await this.firmware.obtain(run.state.job, {
        signal,
        timeoutMs: this.settings.downloadTimeoutMs,
        onProgress: (p) => onPercent(p.percent),
      });
    } catch (error) {
      if (signal.aborted) return;
      run.fail(downloadFailCode(error), toGatewayError(error, 'download').message);
      return;
    }
    onPercent(100);
    run.transition({ type: 'downloaded' });
    run.logger.info('firmware downloaded');
  }
}

/** The hub's code for a failed download: the store's own code, else -1 (timeout/network/disk). */
export function downloadFailCode(error: unknown): OtaFailCode {
  if (error instanceof FirmwareError) return error.otaCode;
  return OTA_FAIL.downloadTimeout;
}
