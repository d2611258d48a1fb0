import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Md5Hashing } from '../src/index.js';
import { startFirmwareServer, type FirmwareServer } from './helpers/firmware-server.js';
import { withTempDir } from './helpers/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/obtain-image.js', import.meta.url));

interface Line {
  event: 'progress' | 'done' | 'failed';
  bytes?: number;
  md5?: string;
  baseline?: number;
  maxRss?: number;
  message?: string;
}

interface ChildOptions {
  checkpointBytes?: number;
  checkpointIntervalMs?: number;
  hashing?: Md5Hashing;
}

function runChild(server: FirmwareServer, dataDir: string, options: ChildOptions, onLine: (line: Line, child: ChildProcess) => void) {
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      ...process.env,
      IOTGW_FIXTURE: JSON.stringify({
        job: { version: '2.0.0', url: server.url, md5: server.md5, size: server.size },
        dataDir,
        ...options,
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (text) => onLine(JSON.parse(text) as Line, child));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Runs a download in a child, SIGKILLs it once `killAt` bytes have arrived, restarts it and checks
 * that the image completes verified and the restart resumed; returns how much was fetched twice.
 */
async function killAndResume(t: ExecutionContext, server: FirmwareServer, dataDir: string, options: ChildOptions, killAt: number) {
  const first = runChild(server, dataDir, options, (line, child) => {
    if (line.event === 'progress' && (line.bytes ?? 0) >= killAt) child.kill('SIGKILL');
  });
  t.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
  t.true(server.bytesServed() < server.size, 'killed mid-download');

  let done: Line | undefined;
  const second = runChild(server, dataDir, options, (line) => {
    if (line.event === 'done' || line.event === 'failed') done = line;
  });
  t.is((await second.exited).code, 0, done?.message);
  t.is(done?.md5, server.md5);
  t.is(await md5OfFile(join(dataDir, 'firmware', `${server.md5}.bin`)), server.md5);
  const resumedAt = Number(/^bytes=(\d+)-/.exec(server.requests[1]?.range ?? '')?.[1]);
  t.true(resumedAt > 0, 'second run resumed instead of starting over');
  const refetched = server.bytesServed() - server.size;
  t.log(`served ${server.bytesServed()} for ${server.size} (${refetched} again), resumed at ${resumedAt}`);
  return refetched;
}

test('a gateway killed with SIGKILL mid-download resumes after restart without fetching much twice', async (t) => {
  const checkpointBytes = 256 * 1024;
  const piece = 16 * 1024;
  const server = await startFirmwareServer(4 * 1024 * 1024);
  try {
    await withTempDir(async (dataDir) => {
      server.plan = (n) => (n === 0 ? { throttle: { piece, everyMs: 10 } } : {});
      const refetched = await killAndResume(t, server, dataDir, { checkpointBytes }, 1.5 * 1024 * 1024);
      // One chunk: at most one checkpoint interval is fetched again, plus what was in flight (the
      // server's last pieces in the socket and the store's 64 KiB sink buffer).
      t.true(refetched <= checkpointBytes + 64 * 1024 + 2 * piece, `re-fetched ${refetched} bytes`);
    });
  } finally {
    await server.close();
  }
});

test('killed with SIGKILL between time-based checkpoints, a restart re-fetches at most about one interval of bytes', async (t) => {
  const intervalMs = 250;
  // The server's pace bounds the rate: at most `piece` bytes every `everyMs` (timers only slow it).
  const piece = 16 * 1024;
  const everyMs = 10;
  const server = await startFirmwareServer(8 * 1024 * 1024);
  try {
    await withTempDir(async (dataDir) => {
      server.plan = (n) => (n === 0 ? { throttle: { piece, everyMs } } : {});
      // No byte cap: only the clock decides when a checkpoint is due.
      const refetched = await killAndResume(t, server, dataDir, { checkpointIntervalMs: intervalMs }, 4 * 1024 * 1024);
      // Lost: what arrived since the last checkpoint began, i.e. one interval plus the time that
      // checkpoint took (fsync + progress file; 750 ms allowed for a loaded machine), at the
      // server's top rate, plus the sink's 64 KiB buffer and the pieces in the socket. Without
      // time-based checkpoints all 4 MiB would be fetched again.
      const bound = Math.ceil((intervalMs + 750) / everyMs) * piece + 64 * 1024 + 2 * piece;
      t.true(refetched <= bound, `re-fetched ${refetched} bytes, more than ${bound}`);
    });
  } finally {
    await server.close();
  }
});

// The MD5 worker thread costs ~10 MiB (a bare Node worker isolate); Node's HTTP client alone
// grows RSS by 35-44 MiB here. Main-thread hashing keeps the former 50 MiB limit.
// Serial: two 200 MB downloads at once would load a small machine for the other tests' deadlines.
for (const [hashing, limitMiB] of [['auto', 60], ['main-thread', 50]] as const) {
  test.serial(`downloading a 200 MB image keeps RSS growth under ${limitMiB} MiB (hashing: ${hashing})`, async (t) => {
    const size = 200 * 1024 * 1024;
    const server = await startFirmwareServer(size);
    try {
      await withTempDir(async (dataDir) => {
        let done: Line | undefined;
        const run = runChild(server, dataDir, { hashing }, (line) => {
          if (line.event === 'done' || line.event === 'failed') done = line;
        });
        t.is((await run.exited).code, 0, done?.message);
        t.is(done?.md5, server.md5);
        const growth = (done!.maxRss! - done!.baseline!) / (1024 * 1024);
        t.log(`RSS growth ${growth.toFixed(1)} MiB`);
        t.true(growth < limitMiB, `RSS grew ${growth.toFixed(1)} MiB`);
      });
    } finally {
      await server.close();
    }
  });
}
