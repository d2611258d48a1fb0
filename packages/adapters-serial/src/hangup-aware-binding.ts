import { read } from 'node:fs';
import { promisify } from 'node:util';
import { autoDetect, BindingsError, LinuxPortBinding, DarwinPortBinding, type AutoDetectTypes, type OpenOptions } from '@serialport/bindings-cpp';

const readAsync = promisify(read);
const detected = autoDetect();
/** What the read needs of a unix port binding (LinuxPortBinding, DarwinPortBinding). */
export interface UnixReadablePort {
  readonly isOpen: boolean;
  readonly fd: number | null;
  readonly poller: { once(event: 'readable', callback: (error?: Error | null) => void): unknown };
}

/**
 * The platform's serial binding, except that on Linux and macOS a read that returns no byte ends
 * the port. A tty that was hung up (a USB serial adapter unplugged, the master of a pty closed)
 * answers every read with end of file; `@serialport/bindings-cpp` 13 reads again at once on a
 * 0-byte read, so the port never errors or closes and its read spins on the thread pool (upstream:
 * serialport/bindings-cpp#162, #164). Seen here: a pulled socat "cable" went unnoticed in 2 of 12
 * runs of the ByteStream contract with the CPU busy (the hangup landed before the read, which then
 * got end of file instead of EIO).
 */
export const hangupAwareBinding: AutoDetectTypes = {
  list: () => detected.list(),
  async open(options: OpenOptions) {
    const port = await detected.open(options as never);
    if (port instanceof LinuxPortBinding || port instanceof DarwinPortBinding) {
      port.read = (buffer: Buffer, offset: number, length: number) => readUntilHangup(port, buffer, offset, length);
    }
    return port;
  },
} as AutoDetectTypes;

/** unixRead of bindings-cpp 13, with end of file as a disconnect instead of a retry. */
export async function readUntilHangup(port: UnixReadablePort, buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number; buffer: Buffer }> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw new BindingsError('Port is not open', { canceled: true });
    let bytesRead: number;
    try {
      ({ bytesRead } = await readAsync(port.fd, buffer, offset, length, null));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw error;
      if (!port.isOpen) throw new BindingsError('Port is not open', { canceled: true });
      await new Promise<void>((resolve, reject) => port.poller.once('readable', (e?: Error | null) => (e ? reject(e) : resolve())));
      continue;
    }
    // A read error that is not `canceled` makes @serialport/stream close the port as disconnected.
    if (bytesRead === 0) throw Object.assign(new Error('the serial port hung up (unplugged, or its far end closed)'), { code: 'EOF', disconnect: true });
    return { bytesRead, buffer };
  }
}
