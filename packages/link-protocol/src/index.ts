export * from './crc.js';
export * from './cobs.js';
export * from './frame.js';
export * from './frame-decoder.js';
export * from './messages.js';
export * from './packet.js';
