import { JsonChild as NodeJsonChild } from '@iotgw/testkit/mosquitto';

/** A bench counterpart in its own process (with --expose-gc, so it can report its settled heap). */
export class JsonChild extends NodeJsonChild {
  constructor(script: string, args: readonly string[], env: Record<string, string> = {}) {
    super(script, args, { env, nodeArgs: ['--expose-gc'] });
  }
}

export { percentile } from '@iotgw/testkit/mosquitto';

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
export async function cpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const { readFile } = await import('node:fs/promises');
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the command name).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
