import { parseArgs } from 'node:util';
import { LinkError, TimeoutError, ValidationError } from '@iotgw/domain';
import type { GatewayStatus } from '../control/gateway-status.js';
import { EXIT, type ExitCode } from './output.js';
import type { CommandContext } from './main.js';

export const SUBDEVICES_HELP = `Usage: iotgw subdevices list|bind|unbind|online|offline [PRODUCTID/deviceName ...] [--port n]
       iotgw ota status [--port n]

Talks to a running gateway (iotgw start) over its local control endpoint (127.0.0.1, config
"control.port", default 7380).

Options:
  --port <n>   control port of the running gateway (default 7380)
  --help       show this help`;

interface OperationReply {
  results: Array<{ id: string; ok: boolean; hubCode: number; message: string }>;
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
  const body = (await res.json()) as T & { error?: string };
  // A 4xx is the request's own problem: its message says what to fix, without HTTP noise.
  if (res.status >= 400 && res.status < 500) throw new ValidationError(body.error ?? `the gateway refused the request (${res.status})`);
  if (!res.ok) throw new LinkError('link.unavailable', `the gateway answered ${res.status}: ${body.error ?? ''}`);
  return body;
}

function parse(args: readonly string[]): { positionals: string[]; port: number; help: boolean } | string {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    const port = values.port === undefined ? 7380 : Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `--port must be a port number, got ${values.port}`;
    return { positionals, port, help: values.help === true };
  } catch (error) {
    return (error as Error).message;
  }
}

export async function subdevicesCommand(args: readonly string[], ctx: CommandContext): Promise<ExitCode> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    ctx.io.err(`${parsed}\n\n${SUBDEVICES_HELP}`);
    return EXIT.usage;
  }
  if (parsed.help) {
    ctx.io.out(SUBDEVICES_HELP);
    return EXIT.ok;
  }
  const [op, ...ids] = parsed.positionals;
  const base = `http://127.0.0.1:${parsed.port}`;
  if (op === 'list') {
    const status = await call<GatewayStatus>(`${base}/subdevices`, {}, ctx.signal);
    ctx.io.out(`hub: ${status.hub}`);
    ctx.io.out(
      table(
        ['subdevice', 'session', 'link', 'version', 'ota'],
        status.subdevices.map((s) => [s.id, s.session, s.link ?? '-', s.firmwareVersion ?? '-', s.ota ? `${s.ota.phase} ${s.ota.percent}%` : '-']),
      ),
    );
    return EXIT.ok;
  }
  if (op === 'bind' || op === 'unbind' || op === 'online' || op === 'offline') {
    if (ids.length === 0) {
      ctx.io.err(`iotgw subdevices ${op}: name at least one subdevice as PRODUCTID/deviceName\n\n${SUBDEVICES_HELP}`);
      return EXIT.usage;
    }
    const reply = await call<OperationReply>(
      `${base}/subdevices/${op}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subdevices: ids }) },
      ctx.signal,
    );
    ctx.io.out(table(['subdevice', 'result', 'hub code', 'message'], reply.results.map((r) => [r.id, r.ok ? 'ok' : 'refused', String(r.hubCode), r.message])));
    return reply.results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
  }
  const known = 'list, bind, unbind, online or offline';
  ctx.io.err(`iotgw subdevices: ${op === undefined ? `name an operation: ${known}` : `unknown operation ${JSON.stringify(op)}: use ${known}`}\n\n${SUBDEVICES_HELP}`);
  return EXIT.usage;
}

export async function otaCommand(args: readonly string[], ctx: CommandContext): Promise<ExitCode> {
  const parsed = parse(args);
  if (typeof parsed === 'string' || parsed.positionals[0] !== 'status') {
    if (typeof parsed !== 'string' && parsed.help) {
      ctx.io.out(SUBDEVICES_HELP);
      return EXIT.ok;
    }
    ctx.io.err(`${typeof parsed === 'string' ? parsed : 'usage: iotgw ota status [--port n]'}\n\n${SUBDEVICES_HELP}`);
    return EXIT.usage;
  }
  const status = await call<GatewayStatus>(`http://127.0.0.1:${parsed.port}/subdevices`, {}, ctx.signal);
  const jobs = status.subdevices.filter((s) => s.ota);
  if (jobs.length === 0) {
    ctx.io.out('no firmware job in progress');
    return EXIT.ok;
  }
  const pct = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : `${n}%`);
  ctx.io.out(
    table(
      ['subdevice', 'to version', 'phase', 'download', 'delivery'],
      jobs.map((s) => [s.id, s.ota?.version ?? '', s.ota?.phase ?? '', pct(s.ota?.download), pct(s.ota?.delivery)]),
    ),
  );
  return EXIT.ok;
}
