import { rm } from 'node:fs/promises';
import { SocatPair } from '@iotgw/gateway';

export { findSocat } from '@iotgw/gateway';

/**
 * A serial cable between the gateway and one subdevice: a socat pty pair (the demo's `SocatPair`)
 * on stable link paths. `cut()` kills socat (both ptys vanish, as when a cable is pulled);
 * `start()` again plugs in a new pair on the same paths, which both ends reopen.
 */
export class SocatLink {
  readonly gatewaySide: string;
  readonly deviceSide: string;
  #pair: SocatPair | undefined;

  constructor(
    private readonly socat: string,
    private readonly dir: string,
    private readonly name: string,
  ) {
    const paths = new SocatPair(socat, dir, name);
    this.gatewaySide = paths.gatewaySide;
    this.deviceSide = paths.deviceSide;
  }

  get up(): boolean {
    return this.#pair !== undefined;
  }

  async start(): Promise<void> {
    if (this.#pair) return;
    // Links left by a socat that died would look like a ready pair.
    await rm(this.gatewaySide, { force: true });
    await rm(this.deviceSide, { force: true });
    const pair = new SocatPair(this.socat, this.dir, this.name);
    await pair.start();
    this.#pair = pair;
  }

  /** Pulls the cable: socat dies, taking both ptys with it. */
  async cut(): Promise<void> {
    const pair = this.#pair;
    this.#pair = undefined;
    await pair?.stop();
  }

  close(): Promise<void> {
    return this.cut();
  }
}
