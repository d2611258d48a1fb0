/**
 * A serial line at a real baud rate between two ptys, in its own process: bytes written at one end
 * come out at the other only after the time they take on the wire (10 bits per character for 8N1),
 * and the line carries one frame at a time (RS-485 is half duplex). A pty alone has no baud rate:
 * without this a "115200 baud" bus would be as fast as the kernel copies bytes.
 *
 *   node line-emulator.js <pty A> <pty B> <baud>      prints "ready" when both are open
 */
import { SerialPort } from 'serialport';

const [pathA, pathB, baudText] = process.argv.slice(2);
if (!pathA || !pathB) {
  console.error('usage: line-emulator <pty A> <pty B> [baud]');
  process.exit(2);
}
const baud = Number(baudText ?? 115200);
const charMs = (10 * 1000) / baud;
let lineFreeAt = 0;

function open(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
    port.on('error', () => undefined);
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}

/** Waits until `at` (performance.now() ms): a timer for most of it, then turns of the event loop. */
function until(at: number, then: () => void): void {
  const left = at - performance.now();
  if (left > 1.5) setTimeout(() => until(at, then), left - 1);
  else if (left > 0) setImmediate(() => until(at, then));
  else then();
}

function relay(from: SerialPort, to: SerialPort): void {
  from.on('data', (chunk: Buffer) => {
    const start = Math.max(performance.now(), lineFreeAt);
    lineFreeAt = start + chunk.length * charMs;
    until(lineFreeAt, () => to.write(chunk));
  });
}

const [a, b] = await Promise.all([open(pathA), open(pathB)]);
relay(a, b);
relay(b, a);
console.log('ready');
process.on('SIGTERM', () => {
  a.close();
  b.close();
  process.exit(0);
});
