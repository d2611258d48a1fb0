import { TimeoutError, OTA_FAIL, otaReportFor, toGatewayError, type HubTransport } from '@iotgw/domain';
import type { OtaSettings } from '../../gateway-settings.js';
import type { SubdeviceDirectory } from '../subdevice-directory.js';
import type { OtaRun } from './ota-run.js';

/**
 * The last leg of a job: wait for the subdevice to come back running the new version (only the
 * subdevice's own word counts as success), then tell the hub done/fail and the new version.
 */
export class OtaVerdictLeg {
  constructor(
    private readonly hub: HubTransport,
    private readonly directory: SubdeviceDirectory,
    private readonly settings: OtaSettings,
    private readonly hubTimeoutMs: number,
  ) {}

  async awaitVerdict(run: OtaRun, signal: AbortSignal): Promise<void> {
    const { subdevice, job } = run.state;
    const timeoutMs = this.settings.verdictTimeoutMs;
    try {
      await this.directory.waitForAttach(subdevice, (e) => e.firmwareVersion === job.version, { signal, timeoutMs });
      run.transition({ type: 'succeeded' });
      run.logger.info('the subdevice came back with the new version');
    } catch (error) {
      if (signal.aborted) return;
      const why = error instanceof TimeoutError ? `within ${timeoutMs} ms` : `(${toGatewayError(error).message})`;
      run.fail(OTA_FAIL.upgradeFailed, `the subdevice did not come back with version ${job.version} ${why}`);
    }
  }

  /** Sends done/fail (and the new version after done); false when the hub could not be told. */
  async reportFinal(run: OtaRun, signal: AbortSignal): Promise<boolean> {
    await run.reportsSent();
    const report = otaReportFor(run.state);
    const options = { signal, timeoutMs: this.hubTimeoutMs };
    try {
      if (report) await this.hub.reportFirmwareProgress(run.state.subdevice, report, options);
      if (run.state.phase === 'done') await this.hub.reportVersion(run.state.subdevice, run.state.job.version, options);
    } catch (error) {
      if (!signal.aborted) {
        run.logger.warn(`could not tell the hub the verdict; will retry after reconnect: ${toGatewayError(error).message}`);
      }
      return false;
    }
    run.transition({ type: 'final_reported' });
    return true;
  }
}
