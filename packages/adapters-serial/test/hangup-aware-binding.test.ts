import test, { type ExecutionContext } from 'ava';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUntilHangup } from '../src/hangup-aware-binding.js';

/** A file descriptor on a file holding `contents` (closed and removed after the test). */
function fileWith(t: ExecutionContext, contents: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'iotgw-eof-'));
  const path = join(dir, 'tty');
  writeFileSync(path, contents);
  const fd = openSync(path, 'r');
  t.teardown(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  return fd;
}

// An empty regular file answers read() with end of file, as a hung-up tty does. The binding's own
// read would ask again for ever (the port never closing); this one must give up with a disconnect.
test('a read that gets end of file rejects as a disconnect (not canceled), it does not read again', async (t) => {
  const fd = fileWith(t, '');
  const port = { isOpen: true, fd, poller: { once: () => t.fail('end of file is not "wait for readable"') } };
  const error = await t.throwsAsync(readUntilHangup(port, Buffer.alloc(64), 0, 64));
  t.is((error as NodeJS.ErrnoException).code, 'EOF');
  t.falsy((error as { canceled?: boolean }).canceled);
});

test('bytes that are there are returned as read', async (t) => {
  const fd = fileWith(t, 'abc');
  const port = { isOpen: true, fd, poller: { once: () => undefined } };
  const { bytesRead, buffer } = await readUntilHangup(port, Buffer.alloc(64), 0, 64);
  t.is(buffer.subarray(0, bytesRead).toString(), 'abc');
});

test('a closed port is a canceled read (the stream does not report it as a disconnect)', async (t) => {
  const port = { isOpen: false, fd: null, poller: { once: () => undefined } };
  const error = await t.throwsAsync(readUntilHangup(port, Buffer.alloc(8), 0, 8));
  t.true((error as { canceled?: boolean }).canceled);
});
