import type { SerialPort } from 'serialport';

/** The `{ write, onData }` shape the subdevice simulator needs, over an open SerialPort. */
export interface SerialByteStream {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): { close(): void };
}

export function serialByteStream(port: SerialPort): SerialByteStream {
  return {
    write(bytes) {
      // A write on a closed port reports through the callback; the protocol retransmits.
      if (port.isOpen) port.write(Buffer.from(bytes), () => undefined);
    },
    onData(listener) {
      const handler = (chunk: Buffer): void => listener(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      port.on('data', handler);
      return { close: () => void port.off('data', handler) };
    },
  };
}
