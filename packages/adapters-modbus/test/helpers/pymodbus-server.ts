import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/modbus_server.py', import.meta.url));
const PYTHON = process.env.IOTGW_PYTHON ?? 'python3';

export type Table = 'co' | 'di' | 'hr' | 'ir';
/** unit → table → address → value (registers as u16, bits as 0/1). */
export type RegisterMap = Record<number, Partial<Record<Table, Record<number, number>>>>;

let availability: string | undefined | null = null;

/** The pymodbus the fixture is written for (its SimDevice server API changes between minor releases). */
const PYMODBUS_SERIES = '3.15';

/** Why pymodbus cannot run here (undefined when it can). */
export function pymodbusProblem(): string | undefined {
  if (availability !== null) return availability;
  const probe = spawnSync(PYTHON, ['-c', 'import pymodbus, serial; print(pymodbus.__version__)'], { encoding: 'utf8' });
  const version = probe.stdout?.trim() ?? '';
  const fix = `run "pip install 'pymodbus~=${PYMODBUS_SERIES}.0' pyserial" (or point IOTGW_PYTHON at a python that has them)`;
  if (probe.status !== 0) {
    availability = `pymodbus is not installed for ${PYTHON} (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}): ${fix}`;
  } else if (version.split('.').slice(0, 2).join('.') !== PYMODBUS_SERIES) {
    availability = `${PYTHON} has pymodbus ${version}; the test server is written for ${PYMODBUS_SERIES}.x: ${fix}`;
  } else {
    availability = undefined;
  }
  return availability;
}

let told = false;

/**
 * Tests against pymodbus run where it is installed, and always under CI, where a missing
 * pymodbus must fail the run rather than skip it (.ci/run installs it). Skipped elsewhere, saying why.
 */
export function pymodbusTestsEnabled(): boolean {
  const problem = pymodbusProblem();
  if (problem === undefined || process.env.CI === 'true') return true;
  if (!told) console.warn(`adapters-modbus: skipping the tests against pymodbus: ${problem}`);
  told = true;
  return false;
}

export interface ServerStats {
  readonly requests: number;
  readonly latency_ms: { mean: number | null; p50: number | null; p99: number | null; max: number | null };
}

/** test/fixtures/modbus_server.py as a child process, with its stdin commands as methods. */
export class PymodbusServer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #dir: string;
  readonly #answers: Array<(line: string) => void> = [];
  readonly #stderr: string[] = [];
  port: number | undefined;

  private constructor(child: ChildProcessWithoutNullStreams, dir: string) {
    this.#child = child;
    this.#dir = dir;
    createInterface({ input: child.stdout }).on('line', (line) => this.#answers.shift()?.(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr.push(chunk.toString());
      if (this.#stderr.length > 50) this.#stderr.shift();
    });
  }

  static async start(where: { rtu: string; baud?: number } | { tcp: true | number }, map: RegisterMap): Promise<PymodbusServer> {
    const problem = pymodbusProblem();
    if (problem) throw new Error(problem);
    const dir = mkdtempSync(join(tmpdir(), 'iotgw-pymodbus-'));
    const mapFile = join(dir, 'map.json');
    writeFileSync(mapFile, JSON.stringify(map));
    const args = [SCRIPT, '--map', mapFile, ...('rtu' in where ? ['--rtu', where.rtu, '--baud', String(where.baud ?? 115200)] : ['--tcp', `127.0.0.1:${where.tcp === true ? 0 : where.tcp}`])];
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const server = new PymodbusServer(child, dir);
    // The deadline is cleared once settled: a pending 20 s timer kept each test file's process
    // alive (ava waits for it to exit) for up to 20 s after its last test.
    let deadline: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      server.#next(),
      new Promise<string>((_, reject) => child.once('exit', (code) => reject(new Error(`pymodbus server exited (${code}): ${server.#stderr.join('')}`)))),
      new Promise<string>((_, reject) => (deadline = setTimeout(() => reject(new Error(`pymodbus server not ready in 20 s: ${server.#stderr.join('')}`)), 20_000))),
    ])
      .catch(async (error: unknown) => {
        await server.stop();
        throw error;
      })
      .finally(() => clearTimeout(deadline));
    server.port = (JSON.parse(ready) as { port: number | null }).port ?? undefined;
    return server;
  }

  /** Values straight from pymodbus's datastore (what a client reading the device would get). */
  async get(unit: number, table: Table, address: number, count: number): Promise<number[]> {
    const answer = await this.#command({ cmd: 'get', unit, table, address, count });
    return answer.values as number[];
  }

  async set(unit: number, table: Table, address: number, values: number[]): Promise<void> {
    await this.#command({ cmd: 'set', unit, table, address, values });
  }

  /** The unit stops answering (its responses are dropped), as if powered off. */
  async mute(unit: number): Promise<void> {
    await this.#command({ cmd: 'mute', unit });
  }

  async unmute(unit: number): Promise<void> {
    await this.#command({ cmd: 'unmute', unit });
  }

  /** Requests answered since the last call, and pymodbus's own response latency. */
  async stats(): Promise<ServerStats> {
    return (await this.#command({ cmd: 'stats' })) as unknown as ServerStats;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #next(): Promise<string> {
    return new Promise((resolve) => this.#answers.push(resolve));
  }

  async #command(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = this.#next();
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
    const parsed = JSON.parse(await answer) as Record<string, unknown>;
    if (parsed.ok !== true) throw new Error(`pymodbus server: ${JSON.stringify(command)} failed: ${JSON.stringify(parsed)}`);
    return parsed;
  }
}
