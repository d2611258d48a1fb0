import { parseArgs } from 'node:util';
import { runDemo } from '../demo/run-demo.js';
import { EXIT, type ExitCode } from './output.js';
import type { CommandContext } from './main.js';

export const DEMO_HELP = `Usage: iotgw demo [--keep-running] [--memory] [--broker mqtt://host:port]

Starts the hub emulator, a gateway and two simulated subdevices (over socat ptys when socat is
installed, else in memory) and walks every flow: bind, list bound, online, data up and down,
firmware update of one subdevice while the other keeps sending, offline, unbind. Exits 0 when
every step succeeded.

Options:
  --keep-running   leave the emulator and its web console running (Ctrl-C to stop)
  --memory         use in-memory links even when socat is installed
  --broker <url>   run the emulator and the gateway on this MQTT broker (e.g. mosquitto with
                   allow_anonymous) instead of the emulator's embedded one
  --help           show this help`;

export async function demoCommand(args: readonly string[], ctx: CommandContext): Promise<ExitCode> {
  let values: { 'keep-running'?: boolean; memory?: boolean; broker?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { 'keep-running': { type: 'boolean' }, memory: { type: 'boolean' }, broker: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    ctx.io.err(`${(error as Error).message}\n\n${DEMO_HELP}`);
    return EXIT.usage;
  }
  if (values.help) {
    ctx.io.out(DEMO_HELP);
    return EXIT.ok;
  }
  if (values.broker !== undefined && !/^mqtt:\/\/[^/]+:\d+\/?$/.test(values.broker)) {
    ctx.io.err(`--broker must be mqtt://host:port, got ${JSON.stringify(values.broker)}\n\n${DEMO_HELP}`);
    return EXIT.usage;
  }
  const report = await runDemo({
    io: ctx.io,
    signal: ctx.signal,
    keepRunning: values['keep-running'] === true,
    memory: values.memory === true,
    ...(values.broker ? { broker: values.broker } : {}),
  });
  return report.code;
}
