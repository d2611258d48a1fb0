// tsyringe needs the Reflect polyfill before any decorated class loads; apps should still import it first.
import 'reflect-metadata';
export { AdapterRegistry, type AdapterChoice, type CheckedChoice } from './plugins/adapter-registry.js';
export { checkAdapterOptions, issuePath, type CheckedOptions, type OptionsProblem } from './plugins/adapter-options.js';
export { assembleGateway, resolveService, type Gateway, type GatewayConfig, type GatewayOverrides } from './plugins/assemble-gateway.js';
export type { LinkChange } from './plugins/gateway-links.js';
export {
  gatewaySettings,
  DEFAULT_OTA_SETTINGS,
  DEFAULT_DOWNLINK_QUEUE_LENGTH,
  DEFAULT_SELF_UPDATE_SETTINGS,
  type SelfUpdateSettings,
  type GatewaySettings,
  type OnlinePolicy,
  type OtaSettings,
  type UndeclaredAttachPolicy,
  type LiveSettingsChange,
} from './gateway-settings.js';
export { FileStateStore } from './infra/file-state-store.js';
export { ensureDir, probeWritableDir, tightenPrivateTree } from './infra/ensure-dir.js';
export { SystemClock } from '@iotgw/domain';
export { WinstonLogger, type WinstonLoggerOptions } from './infra/winston-logger.js';
export { redact, redactText, isSecretKey, REDACTED } from './infra/redact.js';
export { EnvOrFileSecretStore, secretEnvName, type EnvOrFileSecretStoreOptions } from './infra/env-or-file-secret-store.js';
export { SubdeviceDirectory, type AttachedSubdevice } from './use-cases/subdevice-directory.js';
export { SubdeviceSessions } from './use-cases/subdevice-sessions.js';
export { SubdevicePresence } from './use-cases/subdevice-presence.js';
export { Binding } from './use-cases/binding.js';
export { DataForwarding } from './use-cases/data-forwarding.js';
export { DOWNLINK_DROP_REASONS, type DownlinkDropReason } from './use-cases/downlink-queues.js';
export { RrpcForwarding, type RrpcStats } from './use-cases/rrpc-forwarding.js';
export { ShadowSync, shadowStateKey } from './use-cases/shadow-sync.js';
export { HubClockSync } from './use-cases/hub-clock-sync.js';
export { OtaCoordinator, otaStateKey } from './use-cases/ota-coordinator.js';
export { GatewayService } from './use-cases/gateway-service.js';
export { MAX_QUEUED_VERDICTS } from './use-cases/ota/ota-verdict-queue.js';
export { SelfUpdate, SELF_UPDATE_KEY, SELF_UPDATE_JOB_KEY } from './use-cases/self-update/self-update.js';
export { CommandInstaller, type CommandInstallerOptions } from './infra/installers/command-installer.js';
export { NpmTarballInstaller, type NpmTarballInstallerOptions } from './infra/installers/npm-tarball-installer.js';
export { SubdeviceEnrolment } from './use-cases/subdevice-enrolment.js';
export { RegisteredSecretStore, registeredSecretKey } from './infra/registered-secret-store.js';
export { LogCapture, type LogCaptureOptions } from './infra/log-capture.js';
export { HubLogUpload, type HubLogUploadOptions } from './use-cases/hub-log-upload.js';
export { RemoteConfiguration, type RemoteConfigApplier, type RemoteConfigOutcome, type RemoteConfigurationOptions } from './use-cases/remote-configuration.js';
