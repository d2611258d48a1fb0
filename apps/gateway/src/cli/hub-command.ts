import { runHubCli } from '@iotgw/hub-emulator';
import { EXIT, type ExitCode } from './output.js';
import type { CommandContext } from './main.js';

/** `iotgw hub`: the hub emulator alone; stops cleanly when the CLI's signal aborts (SIGINT/SIGTERM). */
export async function hubCommand(args: readonly string[], ctx: CommandContext): Promise<ExitCode> {
  const untilStopped = new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const code = await runHubCli(args, { stdout: (l) => ctx.io.out(l), stderr: (l) => ctx.io.err(l), untilStopped });
  return code === 0 ? EXIT.ok : code === 2 ? EXIT.usage : EXIT.failed;
}
