import type { Command } from 'commander';
import { assembleGateway } from '@iotgw/app';
import { subdeviceKey, toGatewayError } from '@iotgw/domain';
import { loadStartConfig } from '../config/preflight.js';
import { ControlServer } from '../control/control-server.js';
import { createPluginRegistry } from '../plugins.js';
import { EXIT, type ExitCode } from './output.js';
import type { CommandContext, CommandDefinition } from './main.js';

const DESCRIPTION = `Runs a gateway: connects to the hub, starts the configured links and keeps the declared subdevices online, forwards data both ways and runs firmware updates. On SIGINT/SIGTERM it takes its subdevices offline, flushes what it still has to send and exits 0. Both files are checked completely before anything connects (the same checks as "iotgw validate"): a bad file exits 2.`;

export const startCommand: CommandDefinition = {
  name: 'start',
  // Taking subdevices offline (5 s) and flushing the outbox (10 s) are each bounded.
  stopGraceMs: 20_000,
  define(program, host) {
    program
      .command('start')
      .summary('run a gateway from device_info.json and an iotgw config until SIGINT/SIGTERM')
      .description(DESCRIPTION)
      .requiredOption('--device-info <file>', "the vendor's device_info.json (KEY or CERT mode, subDev.subdev_list)")
      .option('--config <file>', 'iotgw config (hub override, links, secrets, dataDir, logLevel...)')
      .action(host.action((options: { deviceInfo: string; config?: string }, _command: Command) => runStart(options, host)));
  },
};

async function runStart(options: { deviceInfo: string; config?: string }, ctx: CommandContext): Promise<ExitCode> {
  const { info, config, assembly } = await loadStartConfig({ deviceInfo: options.deviceInfo, config: options.config });
  const { config: app, overrides, logger } = assembly;
  const gateway = await assembleGateway(app, createPluginRegistry(), overrides);
  const stopped = new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  let control: ControlServer | undefined;
  try {
    await gateway.start({ signal: ctx.signal });
    control = await ControlServer.start(gateway, config.control.port);
    ctx.io.out(`iotgw: control, health and metrics: ${control.url} (/health, /metrics, /subdevices)`);
    ctx.io.out(`iotgw: gateway ${subdeviceKey(info.gateway)} running with ${gateway.links.length} link(s); Ctrl-C to stop`);
    await stopped;
    ctx.io.out('iotgw: stopping: taking subdevices offline');
    const online = gateway.service.presence.wanted();
    if (online.length > 0) {
      // Best effort: the hub also marks them offline when the gateway disconnects.
      await gateway.service.presence.takeOffline(online, { timeoutMs: 5_000 }).catch((error: unknown) => {
        logger.warn(`taking subdevices offline failed: ${toGatewayError(error).message}`);
      });
    }
    await gateway.service.idle();
  } finally {
    await control?.close();
    // Closing the hub transport flushes its outbox (bounded by the timeout).
    await gateway.dispose({ timeoutMs: 10_000 });
  }
  ctx.io.out('iotgw: stopped');
  return EXIT.ok;
}
