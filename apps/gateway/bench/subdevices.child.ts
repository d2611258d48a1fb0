/**
 * The simulated subdevices of the end-to-end latency bench, alone in their process: `links` socat
 * pty pairs (serial cables), each a multi-drop bus of `perLink` subdevices at addresses 1..perLink
 * speaking the link protocol. Driven by JSON lines on stdin:
 * - `{"cmd":"power"}`: every subdevice says HELLO; answers `{"connected":n}` once all are attached;
 * - `{"cmd":"send","run":r,"ratePerSecond":x,"seconds":s}`: each subdevice sends readings at its
 *   rate (phases spread over the period) for `s` seconds; answers `{"sent":n,"failed":m}`.
 * Each reading carries `t`, process.hrtime (CLOCK_MONOTONIC, the same clock in every process on
 * the machine), taken just before the simulator encodes the frame and writes it to the pty.
 *
 * argv: dir links perLink productId
 */
import { createInterface } from 'node:readline';
import { SerialPortStream } from '@iotgw/adapters-serial';
import { AddressedBus, SubdeviceSimulator } from '@iotgw/simulators';
import { findSocat, SocatPair } from '../src/demo/socat-pair.js';

const [dir = '', linksArg, perLinkArg, productId = ''] = process.argv.slice(2);
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const socat = findSocat();
if (!socat) throw new Error('socat is needed for the end-to-end bench (apt-get install socat)');

const pairs: SocatPair[] = [];
const ports: SerialPortStream[] = [];
const sims: Array<{ name: string; sim: SubdeviceSimulator }> = [];
const paths: string[] = [];
for (let l = 0; l < Number(linksArg); l++) {
  const pair = new SocatPair(socat, dir, `bus${l}`);
  await pair.start();
  pairs.push(pair);
  paths.push(pair.gatewaySide);
  const port = await SerialPortStream.open(pair.deviceSide, 115200);
  port.on('error', () => {});
  ports.push(port);
  // Each frame decoded once per bus and handed to its subdevice only: 250 subdevices each decoding
  // every frame made this process, not the gateway, the bottleneck (a real MCU has its own CPU).
  const bus = new AddressedBus(port);
  for (let a = 1; a <= Number(perLinkArg); a++) {
    const name = `l${l}a${a}`;
    sims.push({ name, sim: new SubdeviceSimulator(bus.subdevice(a), { productId, deviceName: name, firmwareVersion: '1.0.0', address: a }) });
  }
}
say({ paths });

async function power(): Promise<void> {
  for (const { sim } of sims) sim.start();
  while (sims.some(({ sim }) => !sim.connected)) await new Promise((resolve) => setTimeout(resolve, 50));
  say({ connected: sims.length });
}

async function send(run: string, ratePerSecond: number, seconds: number): Promise<void> {
  const periodMs = 1000 / ratePerSecond;
  const perSub = Math.round(seconds * ratePerSecond);
  let sent = 0;
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  await Promise.all(
    sims.map(async ({ name, sim }, i) => {
      // Phases spread over one period, so the load is even rather than a burst per tick.
      const phase = (periodMs * i) / sims.length;
      for (let n = 0; n < perSub; n++) {
        const due = started + phase + n * periodMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const payload = Buffer.from(`{"r":"${run}","s":"${name}","n":${n},"t":"${process.hrtime.bigint()}"}`);
        sent++;
        pending.push(sim.sendData(payload, 0).catch(() => void failed++));
      }
    }),
  );
  await Promise.all(pending);
  say({ sent, failed });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; run?: string; ratePerSecond?: number; seconds?: number };
  if (command.cmd === 'power') void power();
  if (command.cmd === 'send') void send(command.run ?? 'run', command.ratePerSecond ?? 1, command.seconds ?? 1);
});
process.stdin.on('end', () => {
  for (const { sim } of sims) sim.stop();
  void Promise.all(ports.map((p) => p.close().catch(() => {})))
    .then(() => Promise.all(pairs.map((p) => p.stop())))
    .then(() => process.exit(0));
});
