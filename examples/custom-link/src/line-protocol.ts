/**
 * The wire format of this link: one JSON object per line (UTF-8, `\n`-terminated).
 *
 *   subdevice → gateway   {"hello": {"productId": "SB00000001", "deviceName": "tcp1", "version": "1.0.0"}}
 *   subdevice → gateway   {"data": <any JSON>}
 *   gateway → subdevice   {"data": <any JSON>}
 */
export interface Hello {
  readonly productId: string;
  readonly deviceName: string;
  readonly version: string;
}

export type SubdeviceMessage = { readonly hello: Hello } | { readonly data: unknown };

/** Reads one line from a subdevice; undefined for anything that is not one of its messages. */
export function parseLine(line: string): SubdeviceMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  if ('hello' in message) {
    const hello = message.hello as Partial<Hello> | null;
    const ok = typeof hello?.productId === 'string' && typeof hello.deviceName === 'string' && typeof hello.version === 'string';
    return ok ? { hello: hello as Hello } : undefined;
  }
  return 'data' in message ? { data: message.data } : undefined;
}

/** A downlink line: the hub's payload as JSON when it is JSON, else as a string. */
export function dataLine(payload: Uint8Array): string {
  const text = new TextDecoder().decode(payload);
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON: the subdevice gets the text as a string.
  }
  return `${JSON.stringify({ data })}\n`;
}
