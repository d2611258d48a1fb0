/**
 * The gateway of the offline-store scale bench, alone in its process: queues `count` readings of
 * `subdevices` subdevices while the hub is down (the broker is not running yet), reporting its
 * peak RSS; then, once the hub is there, brings them online and drains; then measures the online
 * uplink rate the same way (same process, same store) for the ratio.
 *
 * argv: port count subdevices dir
 */
import { createInterface } from 'node:readline';
import { subdeviceId } from '@iotgw/domain';
import { MqttHubTransport } from '../src/index.js';

const [portArg, countArg, subsArg, dir] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const subs = Array.from({ length: Number(subsArg) }, (_, i) => subdeviceId('SUBPRODAAA', `s${i}`));
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const lines = createInterface({ input: process.stdin });
const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));

const transport = new MqttHubTransport({
  gateway: subdeviceId('GWPRODUCT1', 'gw1'),
  auth: { mode: 'KEY', deviceSecret: 'Z3dTZWNyZXRLZXkxMjM0NQ==' },
  host: '127.0.0.1',
  port,
  tls: false,
  reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
  offlineStore: { dir: dir ?? '' },
});
// The hub is down: the connection keeps trying in the background while readings are held.
const connected = transport.connect({ timeoutMs: Number.POSITIVE_INFINITY });
const reading = (run: string, s: number, n: number): Buffer => Buffer.from(`{"temperature":21.5,"humidity":40,"r":"${run}","s":"s${s}","n":${n}}`);

let peakRss = 0;
const started = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const s = i % subs.length;
  void transport.publishData(subs[s]!, 'data', reading('drain', s, Math.floor(i / subs.length)));
  if (i % 1000 === 999) {
    // Readings arrive over time in a gateway; give the store its turns to write.
    await new Promise((resolve) => setImmediate(resolve));
    if (i % 20_000 === 19_999) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (process.env['BENCH_TRACE_MEMORY']) {
        const m = process.memoryUsage();
        process.stderr.write(`${i + 1}: rss ${(m.rss / 2 ** 20).toFixed(0)} heap ${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} external ${(m.external / 2 ** 20).toFixed(0)} buffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)} MB\n`);
      }
    }
  }
}
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const queueSeconds = Number(process.hrtime.bigint() - started) / 1e9;
say({ queued: transport.uplinkBacklog()?.depth, queueSeconds, peakRssMB: peakRss / 2 ** 20, storeMB: (transport.uplinkBacklog()?.bytes ?? 0) / 2 ** 20 });

await nextLine(); // the hub is up
await connected;
const drainStart = process.hrtime.bigint();
say({ drainStart: String(drainStart) });
await transport.online(subs, { timeoutMs: 60_000 });
while ((transport.uplinkBacklog()?.depth ?? 0) > 0) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
say({ drained: true, drainSeconds: Number(process.hrtime.bigint() - drainStart) / 1e9, peakRssMB: peakRss / 2 ** 20, dropped: transport.uplinkBacklog()?.dropped });

// The online rate, same gateway: window 1000 across the same subdevices.
await nextLine();
const onlineCount = Math.min(count, 100_000);
const onlineStart = process.hrtime.bigint();
say({ onlineStart: String(onlineStart) });
let next = 0;
let active = 0;
await new Promise<void>((resolve) => {
  const launch = (): void => {
    while (active < 1000 && next < onlineCount) {
      const i = next++;
      active++;
      const s = i % subs.length;
      void transport.publishData(subs[s]!, 'data', reading('online', s, Math.floor(i / subs.length))).then(() => {
        active--;
        if (next >= onlineCount && active === 0) resolve();
        else launch();
      });
    }
  };
  launch();
});
say({ onlineDone: String(process.hrtime.bigint()) });
await transport.close();
process.exit(0);
