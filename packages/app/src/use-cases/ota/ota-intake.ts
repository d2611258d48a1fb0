import {
  OTA_FAIL,
  firmwareJobProblem,
  isValidFirmwareVersion,
  subdeviceKey,
  type FirmwareJob,
  type FirmwareSourcePolicy,
  type Logger,
  type SubdeviceId,
} from '@iotgw/domain';
import type { OtaSettings } from '../../gateway-settings.js';
import type { OtaVerdictQueue } from './ota-verdict-queue.js';

/** Refusals logged per subdevice, version and reason are remembered up to this many. */
const LOGGED_REFUSALS = 1000;

/**
 * The door of the OTA use case: a hub push is checked against the firmware source policy
 * (`ota.allowedHosts`, `allowLoopback`, `allowLinkLocal`, `maxImageBytes`, the gateway's own
 * control port) and the domain's rules for versions, sizes and MD5s before anything is run.
 */
export class OtaIntake {
  readonly #refusedLocalPorts = new Set<number>();
  readonly #logged = new Set<string>();

  constructor(
    private readonly settings: OtaSettings,
    private readonly verdicts: OtaVerdictQueue,
    private readonly logger: Logger,
  ) {}

  refuseLocalPort(port: number): void {
    this.#refusedLocalPorts.add(port);
  }

  get policy(): FirmwareSourcePolicy {
    const ota = this.settings;
    return {
      allowedHosts: ota.allowedHosts,
      allowLoopback: ota.allowLoopback,
      allowLinkLocal: ota.allowLinkLocal,
      maxImageBytes: ota.maxImageBytes,
      refusedLocalPorts: [...this.#refusedLocalPorts],
    };
  }

  /** True when `job` may run; otherwise it is refused (reported and logged) here. */
  admits(subdevice: SubdeviceId, job: FirmwareJob): boolean {
    const problem = firmwareJobProblem(job, this.policy);
    if (problem) this.refuse(subdevice, job.version, problem);
    return problem === undefined;
  }

  /**
   * A push the gateway will not run: never downloaded. The hub hears `fail` -5 "refused by the
   * gateway: <why>" under its version when it has a usable one (1..32 characters); the refusal is
   * logged once per subdevice, version and reason, however often it is pushed.
   */
  refuse(subdevice: SubdeviceId, version: string | undefined, reason: string): void {
    const reportable = version !== undefined && isValidFirmwareVersion(version) ? version : undefined;
    const key = `${subdeviceKey(subdevice)}\n${version ?? ''}\n${reason}`;
    if (!this.#logged.has(key)) {
      if (this.#logged.size >= LOGGED_REFUSALS) this.#logged.clear();
      this.#logged.add(key);
      const what = version === undefined ? 'an update' : `the update to ${JSON.stringify(version.slice(0, 40))}`;
      const told = reportable === undefined ? ' (no usable version: the hub cannot be told)' : '';
      this.logger.warn(`refusing ${what} pushed for ${subdeviceKey(subdevice)}: ${reason}${told}`, { subdevice: subdeviceKey(subdevice) });
    }
    if (reportable === undefined) return;
    this.verdicts.add(subdevice, { state: 'fail', version: reportable, code: OTA_FAIL.upgradeFailed, message: `refused by the gateway: ${reason}` });
  }
}
