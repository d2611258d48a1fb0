import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isGatewayError, type Logger, type LogLevel } from '@iotgw/domain';
import { HubEmulator } from './hub-emulator.js';
import { LOG_LEVELS, lineLogger } from './line-logger.js';
import { checkAdminTokenShape } from './admin-token.js';
import { HUB_CLI_HELP } from './hub-cli-help.js';

export interface HubCliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Where the emulator logs; default: readable lines on `stderr` at `--log-level` (warn). */
  logger?: Logger;
  /** Resolves when the process should stop; default: the first SIGINT or SIGTERM. */
  untilStopped?: Promise<void>;
  /** Called once the emulator is listening (tests use it to find the URLs). */
  onReady?: (hub: HubEmulator) => void;
  /** Where IOTGW_HUB_TOKEN is read; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

function port(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number 0..65535, got ${JSON.stringify(value)}`);
  return n;
}

function signals(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The `iotgw hub` command. Returns the process exit code (0 clean stop, 2 usage, 1 failure). */
export async function runHubCli(argv: readonly string[], io: HubCliIo = { stdout: (l) => console.log(l), stderr: (l) => console.error(l) }): Promise<number> {
  let values: {
    port?: string;
    'http-port'?: string;
    'tls-port'?: string;
    'ws-port'?: string;
    host?: string;
    registry?: string;
    broker?: string;
    token?: string;
    'firmware-dir'?: string;
    'max-packet-bytes'?: string;
    'log-level'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'http-port': { type: 'string' },
        'tls-port': { type: 'string' },
        'ws-port': { type: 'string' },
        host: { type: 'string' },
        registry: { type: 'string' },
        broker: { type: 'string' },
        token: { type: 'string' },
        'firmware-dir': { type: 'string' },
        'max-packet-bytes': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(`iotgw hub: ${usageMessage(error as Error)}\n\n${HUB_CLI_HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout(HUB_CLI_HELP);
    return 0;
  }
  // Bad flag values are usage errors (exit 2), found before anything starts.
  let ports: { mqttPort: number; httpPort: number; tlsPort?: number; wsPort?: number };
  const broker = values.broker;
  const logLevel = values['log-level'] ?? 'warn';
  const token = values.token ?? (io.env ?? process.env)['IOTGW_HUB_TOKEN'];
  let maxPacketBytes: number | undefined;
  try {
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
    // The token itself is never echoed: it is a password.
    if (token !== undefined) checkAdminTokenShape(token);
    if (values['max-packet-bytes'] !== undefined) {
      maxPacketBytes = Number(values['max-packet-bytes']);
      if (!Number.isSafeInteger(maxPacketBytes) || maxPacketBytes < 1) throw new Error(`--max-packet-bytes must be a positive integer of bytes, got ${JSON.stringify(values['max-packet-bytes'])}`);
    }
    if (broker !== undefined && !/^mqtts?:\/\//.test(broker)) throw new Error(`--broker must be an mqtt:// URL, got ${JSON.stringify(broker)}`);
    ports = {
      mqttPort: port(values.port, '--port', 1883),
      httpPort: port(values['http-port'], '--http-port', 8080),
      ...(values['tls-port'] !== undefined ? { tlsPort: port(values['tls-port'], '--tls-port', 8883) } : {}),
      ...(values['ws-port'] !== undefined ? { wsPort: port(values['ws-port'], '--ws-port', 8083) } : {}),
    };
  } catch (error) {
    io.stderr(`iotgw hub: ${(error as Error).message}`);
    return 2;
  }
  let hub: HubEmulator;
  let caFile: string | undefined;
  try {
    // Listen for signals before starting so a quick Ctrl-C is not lost.
    const stopped = io.untilStopped ?? signals();
    const started = process.hrtime.bigint();
    hub = await HubEmulator.start({
      ...ports,
      host: values.host ?? '127.0.0.1',
      ...(values.registry ? { registryPath: values.registry } : {}),
      ...(broker ? { brokerUrl: broker } : {}),
      ...(token !== undefined ? { adminToken: token } : {}),
      ...(values['firmware-dir'] !== undefined ? { firmwareDir: values['firmware-dir'] } : {}),
      ...(maxPacketBytes !== undefined ? { maxPacketBytes } : {}),
      logger: io.logger ?? lineLogger(io.stderr, logLevel as LogLevel),
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    io.stdout(`hub emulator ready in ${ms.toFixed(0)} ms`);
    io.stdout(`MQTT:    ${hub.urls.mqtt}`);
    io.stdout(`HTTP:    ${hub.urls.http}`);
    if (hub.urls.mqtts && hub.tlsCertificate) {
      caFile = join(tmpdir(), `iotgw-hub-ca-${process.pid}.pem`);
      await writeFile(caFile, hub.tlsCertificate);
      io.stdout(`MQTTS:   ${hub.urls.mqtts} (CA: ${caFile})`);
    }
    if (hub.urls.ws) io.stdout(`MQTT/WS: ${hub.urls.ws}`);
    if (hub.firmwareDir !== undefined) io.stdout(`firmware: registered by path from ${hub.firmwareDir}`);
    io.stdout(`token:   ${hub.adminToken} (admin API: "Authorization: Bearer <token>")`);
    io.stdout(`console: ${hub.urls.console}`);
    io.onReady?.(hub);
    await stopped;
  } catch (error) {
    io.stderr(`iotgw hub: ${(error as Error).message}`);
    // A bad registry file or path is the user's to fix (exit 2); a busy port or a broker that
    // cannot be reached is a failure to run (exit 1).
    return isGatewayError(error) && (error.code === 'validation.invalid' || error.code === 'config.invalid') ? 2 : 1;
  }
  io.stdout('stopping hub emulator');
  await hub.close();
  if (caFile) await rm(caFile, { force: true });
  return 0;
}

/** node:util parseArgs says "Unknown option …"; every other iotgw command says "unknown option …". */
function usageMessage(error: Error & { code?: string }): string {
  const message = error.message;
  return error.code?.startsWith('ERR_PARSE_ARGS') ? message.charAt(0).toLowerCase() + message.slice(1) : message;
}
