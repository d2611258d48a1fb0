/**
 * Child process of mqtt.bench: a gateway alone in its process brings N subdevices online against
 * the parent's broker, then prints its memory as JSON. Separate so the broker's memory is not counted.
 */
import { subdeviceId } from '@iotgw/domain';
import { MqttHubTransport } from '../src/index.js';

const [port, secret, count] = process.argv.slice(2);
const transport = new MqttHubTransport({
  gateway: subdeviceId('GWPRODUCT1', 'gw1'),
  auth: { mode: 'KEY', deviceSecret: secret ?? '' },
  host: '127.0.0.1',
  port: Number(port),
  tls: false,
});
await transport.connect({ timeoutMs: 10_000 });
const subs = Array.from({ length: Number(count) }, (_, i) => subdeviceId('SUBPRODAAA', `s${i}`));
const started = process.hrtime.bigint();
const results = await transport.online(subs, { timeoutMs: 60_000 });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
(globalThis as { gc?: () => void }).gc?.();
const memory = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    ok: results.filter((r) => r.ok).length,
    seconds: Number(seconds.toFixed(3)),
    rssMB: Number((memory.rss / 2 ** 20).toFixed(1)),
    heapUsedMB: Number((memory.heapUsed / 2 ** 20).toFixed(1)),
  })}\n`,
);
await transport.close();
