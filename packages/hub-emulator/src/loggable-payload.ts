/** How much of a payload a debug line shows. */
const SHOWN_CHARS = 200;

// Values that must never reach a log line, whatever message carries them: bind signatures,
// passwords and secrets in JSON, and the signature (or a token) in a firmware link's query.
const SECRET_JSON_VALUE = /("(?:signature|password|deviceSecret|device_secret|secret|token|psk)"\s*:\s*")[^"]*("?)/gi;
const SECRET_URL_PARAM = /([?&](?:sig|sign|signature|token)=)[^&"\s]*/gi;

/**
 * The start of a payload for a debug line: at most 200 characters, secrets masked (`***`), and
 * marked `…` when cut. Masking runs on the cut text and also catches a value cut in half.
 */
export function loggablePayload(payload: Buffer | string): string {
  const text = typeof payload === 'string' ? payload.slice(0, SHOWN_CHARS + 1) : payload.subarray(0, SHOWN_CHARS * 4).toString('utf8').slice(0, SHOWN_CHARS + 1);
  const cut = text.length > SHOWN_CHARS || (typeof payload === 'string' ? payload.length : payload.length) > Buffer.byteLength(text);
  const shown = text.slice(0, SHOWN_CHARS).replace(SECRET_JSON_VALUE, '$1***$2').replace(SECRET_URL_PARAM, '$1***');
  return cut ? `${shown}…` : shown;
}
