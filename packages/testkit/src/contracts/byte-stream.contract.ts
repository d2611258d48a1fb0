import type { ExecutionContext, TestFn } from 'ava';
import type { ByteStream } from '@iotgw/domain';
import { eventually, patternBytes } from './eventually.js';

/**
 * Two open ByteStreams joined by their medium (a socat pty pair, a BLE connection seen from the
 * central and the peripheral, an in-memory pipe). Implementations: the simulators' pipes, the
 * serial port stream, the BLE GATT stream against the simulated peripheral session.
 */
export interface ByteStreamHarness {
  /** The stream under test. */
  readonly stream: ByteStream;
  /** The far end, as the subdevice sees the medium. */
  readonly far: ByteStream;
  /** The far end vanishes without a word (cable pulled, peripheral reset). Optional. */
  vanish?(): Promise<void>;
  dispose(): Promise<void>;
}

export interface ByteStreamContractOptions {
  readonly name?: string;
  /** Bytes for the large-write clause (default 16 KiB; keep small for slow media). */
  readonly largeWrite?: number;
}

const collect = (stream: ByteStream): { bytes: () => Uint8Array } => {
  const parts: Uint8Array[] = [];
  stream.on('data', (b) => parts.push(b.slice()));
  return {
    bytes: () => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
  };
};

/** The ByteStream contract, clause by clause (byte-stream.port.ts). */
export function describeByteStreamContract(
  test: TestFn,
  makeHarness: () => Promise<ByteStreamHarness>,
  options: ByteStreamContractOptions = {},
): void {
  const name = options.name ?? 'ByteStream';
  const large = options.largeWrite ?? 16 * 1024;
  const harness = async (t: ExecutionContext): Promise<ByteStreamHarness> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    return h;
  };

  test(`${name}: is open, names itself and declares its capabilities`, async (t) => {
    const h = await harness(t);
    t.true(h.stream.isOpen);
    t.true(h.stream.name.length > 0);
    const c = h.stream.capabilities;
    t.true(c.maxChunkSize === undefined || (Number.isInteger(c.maxChunkSize) && c.maxChunkSize > 0));
    t.true(c.bytesPerSecond === undefined || c.bytesPerSecond > 0);
  });

  test(`${name}: writes arrive at the far end whole and in order, both ways, without interleaving`, async (t) => {
    const h = await harness(t);
    const atFar = collect(h.far);
    const atNear = collect(h.stream);
    const a = patternBytes(300, 1);
    const b = patternBytes(700, 2);
    h.stream.write(a);
    h.stream.write(b);
    const back = patternBytes(500, 3);
    h.far.write(back);
    const expected = Uint8Array.from([...a, ...b]);
    await eventually(() => atFar.bytes().length, (n) => n >= expected.length, { what: 'bytes at the far end' });
    await eventually(() => atNear.bytes().length, (n) => n >= back.length, { what: 'bytes back' });
    t.deepEqual(atFar.bytes(), expected);
    t.deepEqual(atNear.bytes(), back);
  });

  test(`${name}: a large write arrives intact`, async (t) => {
    const h = await harness(t);
    const atFar = collect(h.far);
    const bytes = patternBytes(large, 4);
    h.stream.write(bytes);
    await eventually(() => atFar.bytes().length, (n) => n >= large, { what: `${large} bytes at the far end`, timeoutMs: 20_000 });
    t.deepEqual(atFar.bytes(), bytes);
  });

  test(`${name}: close emits 'closed' once (byCaller), is idempotent, and later writes are dropped without throwing`, async (t) => {
    const h = await harness(t);
    const closed: Array<{ reason: string; byCaller: boolean }> = [];
    h.stream.on('closed', (e) => closed.push(e));
    await h.stream.close();
    await h.stream.close();
    t.false(h.stream.isOpen);
    await eventually(() => closed.length, (n) => n >= 1, { what: "'closed'" });
    t.is(closed.length, 1);
    t.true(closed[0]!.byCaller);
    t.notThrows(() => h.stream.write(Uint8Array.of(1, 2, 3)));
  });

  test(`${name}: a vanished far end ends the stream with 'closed' (not byCaller)`, async (t) => {
    const h = await harness(t);
    if (!h.vanish) return t.pass('the harness cannot make the far end vanish');
    const closed: Array<{ reason: string; byCaller: boolean }> = [];
    h.stream.on('closed', (e) => closed.push(e));
    await h.vanish();
    await eventually(() => closed.length, (n) => n >= 1, { what: "'closed' after the far end vanished", timeoutMs: 10_000 });
    t.false(closed[0]!.byCaller);
    t.false(h.stream.isOpen);
  });
}
