import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '@iotgw/app';
import type { HubEmulator } from '@iotgw/hub-emulator';
import type { CliOutput } from '../src/cli/output.js';
import type { DemoBench } from '../src/demo/demo-subdevices.js';
import { HURRIED_TEARDOWN_MS, tearDownDemo } from '../src/demo/demo-teardown.js';
import { demoCommand } from '../src/cli/demo-command.js';

function capture(): CliOutput & { stderr: string[] } {
  const stderr: string[] = [];
  return { stderr, out: () => {}, err: (l) => stderr.push(l) };
}

// The hang seen in `npm start`: the gateway's serial close stayed blocked on its pty until the
// socat behind it was killed. The teardown must unplug the simulated cables and go on.
test('a gateway whose stop blocks until the cables are pulled: the demo pulls them and still closes everything', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-teardown-'));
  const closed: string[] = [];
  let unplug = (): void => {};
  const gateway = { dispose: () => new Promise<void>((resolve) => (unplug = resolve)).then(() => void closed.push('gateway')) } as unknown as Gateway;
  const bench = {
    kill: () => unplug(),
    close: () => Promise.resolve(void closed.push('bench')),
  } as unknown as DemoBench;
  const hub = { close: () => Promise.resolve(void closed.push('hub')) } as unknown as HubEmulator;
  const io = capture();
  await tearDownDemo({ gateway, bench, hub, dir }, io, true);
  t.deepEqual(closed, ['gateway', 'bench', 'hub']);
  t.regex(io.stderr.join('\n'), /the gateway did not stop within 500 ms; unplugging the simulated serial cables/);
  t.false(existsSync(dir));
});

test('parts that never close are each given up on after their budget, and said', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-teardown-'));
  const never = (): Promise<void> => new Promise<void>(() => {});
  const io = capture();
  await tearDownDemo(
    { gateway: { dispose: never } as unknown as Gateway, bench: { close: never, kill: () => {} } as unknown as DemoBench, hub: { close: never } as unknown as HubEmulator, dir },
    io,
    true,
  );
  const err = io.stderr.join('\n');
  t.regex(err, /gateway did not stop/);
  t.regex(err, /simulated subdevices did not close within 300 ms/);
  t.regex(err, /hub emulator did not close within 300 ms/);
});

test("after Ctrl-C the longest teardown fits in the demo's stop grace, which fits in 2 s", (t) => {
  const grace = demoCommand.stopGraceMs ?? 0;
  t.true(HURRIED_TEARDOWN_MS < grace, `${HURRIED_TEARDOWN_MS} ms of teardown vs ${grace} ms of grace`);
  t.true(grace <= 2_000);
});
