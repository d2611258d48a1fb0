// The router on the hub's message path, fed directly (no broker): what a flood of garbage costs it,
// counted as work done (Errors made, lines logged, events emitted), never timed.
import test from 'ava';
import { ThrottledLog, TypedEmitter, type GatewayError, type HubTransportEvents, type Logger } from '@iotgw/domain';
import { DecodeRefusal, gatewayOperationResultTopic, otaUpdateTopic } from '@iotgw/protocol-tencent';
import { ManualClock } from '@iotgw/testkit';
import { DownlinkRouter } from '../src/downlink-router.js';
import { EchoFilter } from '../src/echo-filter.js';
import { GatewayOperations } from '../src/gateway-operations.js';
import { OnlineGate } from '../src/online-gate.js';

const GATEWAY = { productId: 'GWPRODUCT1', deviceName: 'gw1' };
const SUB = { productId: 'SUBPRODAAA', deviceName: 'sub-a' };

function router(clock: ManualClock): { route: DownlinkRouter; warnings: string[]; errors: GatewayError[] } {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {}, child: () => logger };
  const events = new TypedEmitter<HubTransportEvents>();
  const errors: GatewayError[] = [];
  events.on('error', (e) => errors.push(e));
  const gate = new OnlineGate(GATEWAY, () => ['data'], () => undefined);
  const operations = new GatewayOperations(GATEWAY, () => { throw new Error('no client in this test'); }, gate, { timeoutMs: 1000, batchSize: 50, clock });
  const route = new DownlinkRouter(events, operations, gate, new EchoFilter(), new ThrottledLog(logger, clock), logger, () => undefined, () => clock.now());
  return { route, warnings, errors };
}

/** Counts the HubProtocolErrors made from refusals while `body` runs. */
function countingRefusalErrors(body: () => void): number {
  const descriptor = Object.getOwnPropertyDescriptor(DecodeRefusal.prototype, 'error');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to each refusal below (Reflect.apply)
  const getter = descriptor?.get;
  if (!descriptor || !getter) throw new Error('DecodeRefusal.error is not a getter');
  let reads = 0;
  Object.defineProperty(DecodeRefusal.prototype, 'error', {
    ...descriptor,
    get(this: DecodeRefusal) {
      reads += 1;
      return Reflect.apply(getter, this, []) as unknown;
    },
  });
  try {
    body();
  } finally {
    Object.defineProperty(DecodeRefusal.prototype, 'error', descriptor);
  }
  return reads;
}

test('a flood of malformed hub messages makes one Error, one warning and one error event per kind per interval, not one each', async (t) => {
  const clock = new ManualClock(0);
  const { route, warnings, errors } = router(clock);
  const garbage = ['{"type":42}', 'not json', '{"type":"online","payload":7}', '', '{"type":"update_firmware"', '\u0000\u00ff'];
  const topics = [gatewayOperationResultTopic(GATEWAY), otaUpdateTopic(SUB)];
  const made = countingRefusalErrors(() => {
    for (let i = 0; i < 10_000; i++) route.route(topics[i % 2]!, Buffer.from(garbage[i % garbage.length]!), 0);
  });
  t.is(made, 2, 'one Error per kind (gateway reply, OTA update), not one per message');
  t.is(warnings.length, 2);
  t.is(errors.length, 2);
  await clock.advance(60_000);
  const later = countingRefusalErrors(() => route.route(topics[0]!, Buffer.from('nope'), 0));
  t.is(later, 1, 'after the interval the next one is reported');
  t.regex(warnings[2] ?? '', /and 4999 more like it/);
});
