import { Option, type Command } from 'commander';
import { LinkError, TimeoutError, ValidationError } from '@iotgw/domain';
import type { GatewayStatus } from '../control/gateway-status.js';
import { jsonObject } from '../json-object.js';
import { portNumber, requireSubcommand } from './conventions.js';
import { EXIT, type CliOutput, type ExitCode } from './output.js';
import type { CommandDefinition, CommandHost } from './main.js';

const CONTROL = 'Talks to a running gateway (iotgw start) over its local control endpoint (127.0.0.1, config "control.port", default 7380).';

interface ControlOptions {
  port: number;
  json?: boolean;
}

interface OperationReply {
  /** `reason`: the refusal's stable name (`not_bound`, `signature_mismatch`, ...), absent when ok. */
  results: Array<{ id: string; ok: boolean; hubCode: number; reason?: string; message: string }>;
}

/** --port and --json, the same on every command that talks to a running gateway. */
function controlOptions(command: Command): Command {
  return command
    .addOption(new Option('--port <n>', 'control port of the running gateway').default(7380).argParser(portNumber()))
    .option('--json', 'print the answer as JSON (for scripts)');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

async function call<T>(url: string, init: RequestInit, signal: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(20_000)]) });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new TimeoutError(`the gateway at ${url}`, 20_000);
    throw new LinkError('link.unavailable', `no gateway answers at ${url}: is "iotgw start" running, with this control port?`, { cause: error });
  }
  // Only the control endpoint of iotgw start answers these routes, and always in JSON: a 404 or
  // another body is some other server on that port (e.g. the hub emulator's HTTP port).
  const body = jsonObject(await res.text()) as (T & { error?: string }) | undefined;
  if (res.status === 404 || body === undefined) {
    throw new LinkError('link.unavailable', `${url} is not the control endpoint of an iotgw gateway (it answered ${res.status}): give --port the "control.port" of iotgw start (default 7380)`);
  }
  // A 4xx is the request's own problem: its message says what to fix, without HTTP noise.
  if (res.status >= 400 && res.status < 500) throw new ValidationError(body.error ?? `the gateway refused the request (${res.status})`);
  if (!res.ok) throw new LinkError('link.unavailable', `the gateway answered ${res.status}: ${body.error ?? ''}`);
  return body;
}

const json = (io: CliOutput, value: unknown): void => io.out(JSON.stringify(value, null, 2));

async function list(options: ControlOptions, host: CommandHost): Promise<ExitCode> {
  const status = await call<GatewayStatus>(`http://127.0.0.1:${options.port}/subdevices`, {}, host.signal);
  if (options.json) {
    json(host.io, status);
    return EXIT.ok;
  }
  host.io.out(`hub: ${status.hub}`);
  const u = status.uplink;
  if (u) {
    const dropped = Object.entries(u.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`).join(', ');
    host.io.out(
      `held for the hub: ${u.depth} reading(s), ${(u.bytes / 1024 / 1024).toFixed(1)} MiB, oldest ${Math.round(u.oldestAgeMs / 1000)} s` +
        (dropped ? `; dropped: ${dropped}` : '') +
        (u.degraded ? `; STORE CANNOT WRITE (${u.degraded.code})` : ''),
    );
  }
  host.io.out(
    table(
      ['subdevice', 'session', 'link', 'version', 'ota', 'held'],
      status.subdevices.map((s) => [s.id, s.session, s.link ?? '-', s.firmwareVersion ?? '-', s.ota ? `${s.ota.phase} ${s.ota.percent}%` : '-', s.held === undefined ? '-' : String(s.held)]),
    ),
  );
  return EXIT.ok;
}

async function operate(op: string, ids: readonly string[], options: ControlOptions, host: CommandHost): Promise<ExitCode> {
  const reply = await call<OperationReply>(
    `http://127.0.0.1:${options.port}/subdevices/${op}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subdevices: ids }) },
    host.signal,
  );
  if (options.json) json(host.io, reply);
  else host.io.out(table(['subdevice', 'result', 'reason', 'hub code', 'message'], reply.results.map((r) => [r.id, r.ok ? 'ok' : 'refused', r.reason ?? '', String(r.hubCode), r.message])));
  return reply.results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

async function otaStatus(options: ControlOptions, host: CommandHost): Promise<ExitCode> {
  const status = await call<GatewayStatus>(`http://127.0.0.1:${options.port}/subdevices`, {}, host.signal);
  // Both legs: download (the image to the gateway) and delivery (the image to the subdevice); null before a leg starts.
  const jobs = status.subdevices.flatMap((s) =>
    s.ota ? [{ subdevice: s.id, version: s.ota.version, phase: s.ota.phase, percent: s.ota.percent, download: s.ota.download, delivery: s.ota.delivery }] : [],
  );
  const pct = (n: number | null): string => (n === null ? '-' : `${n}%`);
  if (options.json) json(host.io, { jobs });
  else if (jobs.length === 0) host.io.out('no firmware job in progress');
  else host.io.out(table(['subdevice', 'to version', 'phase', 'download', 'delivery'], jobs.map((j) => [j.subdevice, j.version, j.phase, pct(j.download), pct(j.delivery)])));
  return EXIT.ok;
}

const OPERATIONS = {
  bind: 'bind subdevices to the gateway at the hub (signed with each subdevice secret)',
  unbind: 'unbind subdevices from the gateway at the hub',
  online: 'bring subdevices online at the hub',
  offline: 'take subdevices offline at the hub',
} as const;

export const subdevicesCommand: CommandDefinition = {
  name: 'subdevices',
  define(program, host) {
    const subdevices = program
      .command('subdevices')
      .summary('list|bind|unbind|online|offline subdevices of a running gateway')
      .description(`Lists and drives the subdevices of a running gateway. ${CONTROL}`);
    controlOptions(subdevices.command('list').description("the gateway's subdevices: session, link, firmware version, firmware job, readings held for the hub")).action(
      host.action((options: ControlOptions) => list(options, host)),
    );
    for (const [op, summary] of Object.entries(OPERATIONS)) {
      controlOptions(subdevices.command(op).description(summary).argument('<subdevice...>', 'PRODUCTID/deviceName, one or more')).action(
        host.action((ids: string[], options: ControlOptions) => operate(op, ids, options, host)),
      );
    }
    requireSubcommand(subdevices);
  },
};

export const otaCommand: CommandDefinition = {
  name: 'ota',
  define(program, host) {
    const ota = program.command('ota').summary('firmware jobs of a running gateway').description(`Firmware updates on a running gateway. ${CONTROL}`);
    controlOptions(ota.command('status').description('firmware jobs in progress: subdevice, target version, phase, download % and delivery %')).action(
      host.action((options: ControlOptions) => otaStatus(options, host)),
    );
    requireSubcommand(ota);
  },
};
