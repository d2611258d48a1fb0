export { OfflineStore } from './offline-store.js';
export { OfflineStoreFullError, OfflineStoreIoError } from './offline-store.errors.js';
export type { DropReason, OfflineStoreOptions, OfflineStoreStats, OverflowPolicy } from './offline-store.options.js';
export type { RecordRef } from './record-queue.js';
export type { DataRecord } from './record-codec.js';
export type { SegmentFiles, SegmentWriter } from './segment-files.port.js';
export { NodeSegmentFiles } from './node-segment-files.js';
export { MemorySegmentFiles } from './memory-segment-files.js';
