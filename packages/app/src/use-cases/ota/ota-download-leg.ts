import {
  FirmwareError,
  OTA_FAIL,
  otaReportFor,
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
    const first = otaReportFor(run.state);
    if (first) this.#report(run, first.state === 'downloading' ? first.percent : 0);
    const onPercent = (percent: number): void => {
      run.legs.download = Math.max(run.legs.download ?? 0, percent);
      if (percent > run.state.percent || run.state.phase === 'update_received') {
        run.transition({ type: 'download_progress', percent });
      }
      if (percent <= run.lastReport.percent) return;
      // 100% goes at once; anything else at most once per interval.
      if (percent >= 100 || this.clock.now() - run.lastReport.at >= interval) this.#report(run, percent);
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

  #report(run: OtaRun, percent: number): void {
    run.lastReport.at = this.clock.now();
    run.lastReport.percent = percent;
    run.report({ state: 'downloading', version: run.state.job.version, percent });
  }
}

/** The hub's code for a failed download: the store's own code, else -1 (timeout/network/disk). */
export function downloadFailCode(error: unknown): OtaFailCode {
  if (error instanceof FirmwareError) return error.otaCode;
  return OTA_FAIL.downloadTimeout;
}
