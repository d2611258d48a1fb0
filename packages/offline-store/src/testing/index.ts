// Helpers for tests of the store and of what is built on it; not part of the store's API.
export * from './held-sync-segment-files.js';
