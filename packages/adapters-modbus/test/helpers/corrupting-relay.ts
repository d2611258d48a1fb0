import { SerialPort } from 'serialport';

/**
 * A serial "line" with noise: relays bytes between the gateway's cable and the device's cable,
 * and flips one bit in the responses `corrupt` picks (the data byte after the byte count, so the
 * frame still looks like an answer of the right unit and length, and only its CRC is wrong).
 */
export class CorruptingRelay {
  corrupted = 0;
  responses = 0;
  /** Every chunk relayed, in order: which way and when (performance.now()). */
  readonly chunks: Array<{ readonly to: 'device' | 'gateway'; readonly at: number }> = [];
  readonly #ports: SerialPort[] = [];

  private constructor(private readonly corrupt: (response: Buffer, index: number) => boolean) {}

  static async start(gatewayCableFarEnd: string, deviceCableNearEnd: string, corrupt: (response: Buffer, index: number) => boolean): Promise<CorruptingRelay> {
    const relay = new CorruptingRelay(corrupt);
    const [toGateway, toDevice] = await Promise.all([open(gatewayCableFarEnd), open(deviceCableNearEnd)]);
    relay.#ports.push(toGateway, toDevice);
    toGateway.on('data', (chunk: Buffer) => {
      relay.chunks.push({ to: 'device', at: performance.now() });
      toDevice.write(chunk);
    });
    toDevice.on('data', (chunk: Buffer) => {
      relay.chunks.push({ to: 'gateway', at: performance.now() });
      const copy = Buffer.from(chunk);
      if (copy.length > 4 && relay.corrupt(copy, relay.responses++)) {
        copy[3]! ^= 0x10;
        relay.corrupted++;
      }
      toGateway.write(copy);
    });
    return relay;
  }

  async stop(): Promise<void> {
    await Promise.all(this.#ports.splice(0).map((p) => new Promise<void>((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()))));
  }
}

function open(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.on('error', () => undefined);
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}
