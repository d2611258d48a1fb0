import { JsonChild as NodeJsonChild } from '@iotgw/testkit/mosquitto';

/** A bench counterpart in its own process (with --expose-gc, so it can report its settled heap). */
export class JsonChild extends NodeJsonChild {
  constructor(script: string, args: readonly string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = []) {
    super(script, args, { env, nodeArgs: ['--expose-gc', ...nodeArgs] });
  }
}

export { cpuSecondsOf, percentile } from '@iotgw/testkit/mosquitto';
