export * from './decode-result.js';
export { parseJsonObject, type JsonObject } from './json-payload.js';
export * from './topics.js';
export * from './key-auth.js';
export * from './bind-signature.js';
export * from './http-signature.js';
export * from './gateway-operation.codec.js';
export * from './ota.codec.js';
export * from './result-codes.js';
