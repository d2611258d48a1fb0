export { HttpFirmwareStore, type HttpFirmwareStoreOptions } from './http-firmware-store.js';
export { FileFirmwareImage } from './file-firmware-image.js';
export { readProgressFile, type DownloadProgressRecord } from './progress-file.js';
export { systemClock } from '@iotgw/domain';
export type { FirmwareSourceGuard } from './source-guard.js';
export type { Md5Hashing } from './file-md5.js';
export { HttpDeviceRegistrar, type HttpDeviceRegistrarOptions } from './http-device-registrar.js';
export { HubLogUploader, DEFAULT_LOG_UPLOAD_URL, type HubLogUploaderOptions } from './hub-log-uploader.js';
export * from './descriptor.js';
