import { resolve } from 'node:path';
import { assembleGateway, LogCapture, WinstonLogger } from '@iotgw/app';
import { startDeviceServices } from '../device-services/gateway-device-services.js';
import { subdeviceKey } from '@iotgw/domain';
import { loadStartConfig } from '../config/preflight.js';
import { ControlServer } from '../control/control-server.js';
import { EXIT, type ExitCode } from './output.js';
import { StopOrRestart, stopGracefully } from './start-lifecycle.js';
import type { CommandContext } from './main.js';

/** `iotgw start`, once its flags are parsed: loaded only when the command runs (it pulls in every adapter). */
export async function runStart(options: { deviceInfo: string; config?: string }, ctx: CommandContext): Promise<ExitCode> {
  // One logger from the start: it keeps recent lines for the hub's log upload too.
  const capture = new LogCapture();
  const winston = new WinstonLogger({ level: 'info', capture });
  const { info, config, registry, assembly, tightened, dataDirWarning, remote, warnings } = await loadStartConfig(
    { deviceInfo: options.deviceInfo, config: options.config },
    { logger: winston },
  );
  winston.setLevel(config.logLevel);
  const { config: app, overrides, logger } = assembly;
  if (dataDirWarning) ctx.io.err(`iotgw: WARNING: ${dataDirWarning}`);
  for (const warning of warnings) ctx.io.err(`iotgw: WARNING: ${warning}`);
  if (remote) ctx.io.out(`iotgw: running on the configuration the hub pushed (received ${remote.receivedAt}${remote.confirmed ? '' : ', on probation'}), not the config file`);
  if (tightened > 0) logger.warn(`data dir ${app.dataDir ?? config.dataDir}: ${tightened} entries were readable by other users; now owner-only (0700/0600)`);
  const gateway = await assembleGateway(app, registry, { ...overrides, signal: ctx.signal });
  const lifecycle = new StopOrRestart(ctx.signal);
  const restart = (reason: string): void => {
    if (config.deviceServices.remoteConfig.restartToApply) lifecycle.restart(reason);
    else logger.warn(`${reason}: restart iotgw to apply it (deviceServices.remoteConfig.restartToApply is false)`);
  };
  // A self-update that installed (or rolled back) a version ends the process like a stop, with EXIT.restart.
  void gateway.selfUpdate?.restartRequested.then((reason) => lifecycle.restart(reason)); // never rejects
  let control: ControlServer | undefined;
  let services: { stop(): Promise<void> } | undefined;
  try {
    // The control port first: one the user cannot have stops the start before anything connects.
    control = await ControlServer.start(gateway, config.control.port);
    // A firmware URL pointing back at the control endpoint is refused, even with ota.allowLoopback.
    const controlPort = Number(new URL(control.url).port);
    gateway.service.ota.refuseLocalPort(controlPort);
    gateway.selfUpdate?.refuseLocalPort(controlPort);
    try {
      await gateway.start({ signal: AbortSignal.any([ctx.signal, lifecycle.signal]) });
    } catch (error) {
      if (lifecycle.restartReason === undefined) throw error;
    }
    if (lifecycle.restartReason === undefined) {
      const dataDir = resolve(app.dataDir ?? config.dataDir);
      services = startDeviceServices({ gateway, config, registry, info, deviceInfoFile: options.deviceInfo, baseDir: process.cwd(), dataDir, logger: winston, capture, remote, restart });
      ctx.io.out(`iotgw: control, health and metrics: ${control.url} (/health, /metrics, /subdevices)`);
      ctx.io.out(`iotgw: gateway ${subdeviceKey(info.gateway)} running with ${gateway.links.length} link(s); Ctrl-C to stop`);
    }
    await lifecycle.stopped;
    if (lifecycle.restartReason) ctx.io.out(`iotgw: stopping to restart: ${lifecycle.restartReason}`);
    await stopGracefully(gateway, logger, (line) => ctx.io.out(line));
  } finally {
    await services?.stop();
    await control?.close();
    // Closing the hub transport flushes its outbox (bounded by the timeout).
    await gateway.dispose({ timeoutMs: 10_000 });
  }
  ctx.io.out('iotgw: stopped');
  // A non-zero code the supervisor restarts on (systemd Restart=on-failure), never mistaken for a bad config (2).
  return lifecycle.restartReason ? EXIT.restart : EXIT.ok;
}
