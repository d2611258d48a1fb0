import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { assembleGateway } from '@iotgw/app';
import { ConfigError, subdeviceKey, toGatewayError } from '@iotgw/domain';
import { checkDataDir } from '../config/data-dir.js';
import { parseDeviceInfo } from '../config/device-info.js';
import { defaultGatewayConfig, parseGatewayConfig } from '../config/gateway-config.js';
import { ControlServer } from '../control/control-server.js';
import { createPluginRegistry, toAppConfig } from '../plugins.js';
import { EXIT, type ExitCode } from './output.js';
import type { CommandContext } from './main.js';

export const START_HELP = `Usage: iotgw start --device-info <file> [--config <file>]

Runs a gateway: connects to the hub, starts the configured links and keeps the declared
subdevices online, forwards data both ways and runs firmware updates. On SIGINT/SIGTERM it stops
firmware jobs where they stand (the next start resumes them), takes its subdevices offline,
flushes what it still has to send and exits 0.

Options:
  --device-info <file>   the vendor's device_info.json (KEY or CERT mode, subDev.subdev_list)
  --config <file>        iotgw config (hub override, links, secrets, dataDir, logLevel...)
  --help                 show this help`;

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(flag, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check the path`, { cause: error });
  }
}

export async function startCommand(args: readonly string[], ctx: CommandContext): Promise<ExitCode> {
  let values: { 'device-info'?: string; config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { 'device-info': { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    ctx.io.err(`${(error as Error).message}\n\n${START_HELP}`);
    return EXIT.usage;
  }
  if (values.help) {
    ctx.io.out(START_HELP);
    return EXIT.ok;
  }
  const infoFile = values['device-info'];
  if (!infoFile) {
    ctx.io.err(`iotgw start: --device-info <file> is required\n\n${START_HELP}`);
    return EXIT.usage;
  }
  // Both files are checked completely before anything connects: a bad file is exit 2, nothing started.
  const info = parseDeviceInfo(await readText(infoFile, '--device-info'), infoFile);
  const config = values.config ? parseGatewayConfig(await readText(values.config, '--config'), values.config) : defaultGatewayConfig();
  const { config: app, overrides, logger } = await toAppConfig(info, config);
  const tightened = await checkDataDir(app.dataDir ?? config.dataDir, values.config);
  if (tightened > 0) logger.warn(`data dir ${app.dataDir ?? config.dataDir}: ${tightened} entries were readable by other users; now owner-only (0700/0600)`);

  const gateway = await assembleGateway(app, createPluginRegistry(), overrides);
  const stopped = new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  let control: ControlServer | undefined;
  try {
    await gateway.start({ signal: ctx.signal });
    control = await ControlServer.start(gateway, config.control.port);
    // A firmware URL pointing back at the control endpoint is refused, even with ota.allowLoopback.
    gateway.service.ota.refuseLocalPort(Number(new URL(control.url).port));
    ctx.io.out(`iotgw: control, health and metrics: ${control.url} (/health, /metrics, /subdevices)`);
    ctx.io.out(`iotgw: gateway ${subdeviceKey(info.gateway)} running with ${gateway.links.length} link(s); Ctrl-C to stop`);
    await stopped;
    // Firmware jobs may wait for minutes (for an attach, a delivery slot, a verdict, a download):
    // cancelled first, each where it stands; its state is on disk and the next start resumes it.
    await gateway.service.ota.stop();
    ctx.io.out('iotgw: stopping: taking subdevices offline');
    const online = gateway.service.presence.wanted();
    if (online.length > 0) {
      // Best effort: the hub also marks them offline when the gateway disconnects.
      await gateway.service.presence.takeOffline(online, { timeoutMs: 5_000 }).catch((error: unknown) => {
        logger.warn(`taking subdevices offline failed: ${toGatewayError(error).message}`);
      });
    }
    // Lets readings already taken reach the hub transport, but never holds the stop.
    if (!(await settlesWithin(gateway.service.idle(), IDLE_AT_STOP_MS))) {
      logger.warn(`background work still running ${IDLE_AT_STOP_MS} ms into the stop: cancelling it`);
    }
  } finally {
    await control?.close();
    // Closing the hub transport flushes its outbox (bounded by the timeout).
    await gateway.dispose({ timeoutMs: 10_000 });
  }
  ctx.io.out('iotgw: stopped');
  return EXIT.ok;
}

const IDLE_AT_STOP_MS = 5_000;

/** True when `work` settled within `ms`; it is never awaited past that. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
