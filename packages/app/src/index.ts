// tsyringe needs the Reflect polyfill before any decorated class loads; apps should still import it first.
import 'reflect-metadata';
export { PluginRegistry, type PluginContext, type PluginFactory, type PluginOptions, type PortForKind } from './plugins/plugin-registry.js';
export {
  assembleGateway,
  resolveService,
  type Gateway,
  type GatewayConfig,
  type GatewayOverrides,
  type PluginChoice,
} from './plugins/assemble-gateway.js';
export { gatewaySettings, DEFAULT_OTA_SETTINGS, type GatewaySettings, type OnlinePolicy, type OtaSettings } from './gateway-settings.js';
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
export { RrpcForwarding, type RrpcStats } from './use-cases/rrpc-forwarding.js';
export { ShadowSync, shadowStateKey } from './use-cases/shadow-sync.js';
export { HubClockSync } from './use-cases/hub-clock-sync.js';
export { OtaCoordinator, otaStateKey } from './use-cases/ota-coordinator.js';
export { GatewayService } from './use-cases/gateway-service.js';
export { MAX_QUEUED_VERDICTS } from './use-cases/ota/ota-verdict-queue.js';
export { LogCapture, type LogCaptureOptions } from './infra/log-capture.js';
export { HubLogUpload, type HubLogUploadOptions } from './use-cases/hub-log-upload.js';
export { RemoteConfiguration, type RemoteConfigApplier, type RemoteConfigOutcome, type RemoteConfigurationOptions } from './use-cases/remote-configuration.js';
