export type LinkProtocolFailure = 'timeout' | 'detached' | 'stopped' | 'busy' | 'read_failed' | 'unsupported';

/** Why a session operation failed; adapters map it onto their own error types. */
export class LinkProtocolError extends Error {
  readonly reason: LinkProtocolFailure;
  constructor(reason: LinkProtocolFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LinkProtocolError';
    this.reason = reason;
  }
}
