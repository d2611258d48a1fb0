import type { ExecutionContext } from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { CapturingLogger } from '@iotgw/testkit';
import { MqttHubTransport, type MqttHubTransportOptions } from '../../src/index.js';
import { TestBroker } from './aedes-broker.js';
import { HubResponder } from './hub-responder.js';

export const GW = subdeviceId('GWPRODUCT1', 'gw1');
export const GW_SECRET = 'Z3dTZWNyZXRLZXkxMjM0NQ==';
export const SUB_A = subdeviceId('SUBPRODAAA', 'sub-a');
export const SUB_B = subdeviceId('SUBPRODAAA', 'sub-b');
export const SUB_C = subdeviceId('SUBPRODCCC', 'sub_c');
export const SECRET_A = 'c2VjcmV0S2V5MTIzNDU2Nw==';
export const SECRET_B = 'b3RoZXJTZWNyZXQ=';

export interface Rig {
  readonly broker: TestBroker;
  readonly hub: HubResponder;
  readonly transport: MqttHubTransport;
  readonly logger: CapturingLogger;
  readonly makeTransport: (extra?: Partial<MqttHubTransportOptions>) => MqttHubTransport;
}

export async function rig(t: ExecutionContext, extra: Partial<MqttHubTransportOptions> = {}): Promise<Rig> {
  const broker = new TestBroker(new Map([[`${GW.productId}${GW.deviceName}`, GW_SECRET]]));
  await broker.start();
  const hub = new HubResponder(GW, broker.port);
  await hub.start();
  hub.secrets.set('SUBPRODAAA/sub-a', SECRET_A);
  hub.secrets.set('SUBPRODAAA/sub-b', SECRET_B);
  const logger = new CapturingLogger();
  const made: MqttHubTransport[] = [];
  const makeTransport = (more: Partial<MqttHubTransportOptions> = {}): MqttHubTransport => {
    const transport = new MqttHubTransport({
      gateway: GW,
      auth: { mode: 'KEY', deviceSecret: GW_SECRET },
      host: '127.0.0.1',
      port: broker.port,
      tls: false,
      logger,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
      ...extra,
      ...more,
    });
    made.push(transport);
    return transport;
  };
  const transport = makeTransport();
  t.teardown(async () => {
    for (const m of made) await m.close();
    await hub.stop();
    await broker.stop();
  });
  return { broker, hub, transport, logger, makeTransport };
}

export async function until(check: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
