import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EXAMPLE_MODBUS_MODELS } from '@iotgw/adapters-modbus';
import { SimulatedEnergyMeter, startModbusSimulator } from '@iotgw/adapters-modbus/simulator';
import { subdeviceId, subdeviceKey } from '@iotgw/domain';
import type { LinkConfig } from '../config/gateway-config.js';
import type { DemoFlowContext } from './demo-flow-context.js';
import { waitFor } from './wait-for.js';
import { jsonObject } from '../json-object.js';

/** The demo's Modbus subdevice: an energy meter, unit 1 of a Modbus TCP server. */
export const METER = subdeviceId('EM00000001', 'meter1');
const UNIT = 1;
/** Where the model file goes, relative to the demo's directory (the gateway's base directory). */
const MODEL = './models/energy-meter.json';

export interface DemoMeter {
  /** The simulated meter itself: its relay and demand limit are what a write changes. */
  readonly meter: SimulatedEnergyMeter;
  /** The gateway's link to it, as an iotgw config writes it. */
  readonly link: LinkConfig;
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A simulated single-phase energy meter served over Modbus TCP on 127.0.0.1 (modbus-serial's
 * server, no Python), and the `modbus` link that polls it with the register map the
 * adapters-modbus package ships, copied into `dir` as a model file the link names.
 */
export async function startDemoMeter(dir: string): Promise<DemoMeter> {
  await mkdir(join(dir, 'models'), { recursive: true });
  await copyFile(EXAMPLE_MODBUS_MODELS.energyMeter, join(dir, MODEL));
  const meter = new SimulatedEnergyMeter();
  const server = await startModbusSimulator({ tcp: { host: '127.0.0.1' } }, new Map([[UNIT, meter]]));
  const port = server.port ?? 0;
  return {
    meter,
    endpoint: `modbus tcp 127.0.0.1:${port}`,
    link: {
      adapter: 'modbus',
      name: 'modbus:meter',
      tcp: { host: '127.0.0.1', port },
      units: [{ id: subdeviceKey(METER), unit: UNIT, model: MODEL }],
      requestTimeoutMs: 1000,
    },
    close: () => server.close(),
  };
}

const dataTopic = `${METER.productId}/${METER.deviceName}/data`;

/**
 * The meter attached when it answered its first poll at gateway start, but the hub refused it
 * online (not bound: the gateway says so in a warning, and holds its readings). Bound now, it goes online.
 */
export async function meterBindOnline(c: DemoFlowContext): Promise<string> {
  const res = await c.gateway().service.binding.bind([METER], { signal: c.signal, timeoutMs: c.timeoutMs });
  const refused = res.filter((r) => !r.ok);
  if (refused.length > 0) throw new Error(`hub refused: ${refused.map((r) => `${r.hubCode} ${r.message}`).join('; ')}`);
  await waitFor('meter1 online at the hub', () => c.hub().isOnline(METER.productId, METER.deviceName), { timeoutMs: c.timeoutMs, signal: c.signal });
  return `meter1 (Modbus unit ${UNIT}) attached at gateway start, refused online while unbound; bound now → online at the emulator`;
}

/** A poll cycle's reading (registers decoded with the model's types and scales) reaches the hub. */
export async function meterReadings(c: DemoFlowContext): Promise<string> {
  const from = c.up.length;
  let reading: Record<string, unknown> | undefined;
  await waitFor(
    'a meter1 reading at the hub',
    () => {
      for (const m of c.up.slice(from)) {
        if (m.topic !== dataTopic) continue;
        const value = jsonObject(m.payload);
        if (typeof value?.voltage === 'number' && typeof value.activePower === 'number') reading = value;
      }
      return reading !== undefined;
    },
    { timeoutMs: c.timeoutMs, signal: c.signal },
  );
  const { voltage = 0, current, activePower, frequency } = reading as Record<string, number>;
  if (voltage < 200 || voltage > 260) throw new Error(`meter1 reported ${voltage} V: the registers were not decoded as the model says`);
  return `hub received ${JSON.stringify({ voltage, current, activePower, frequency })}... on ${dataTopic}`;
}

/**
 * `{"set": ...}` from the hub writes the meter's holding register; a read-only point in the same
 * command is refused by the gateway and never sent to the bus. The answer comes back on the data topic.
 */
export async function meterWrite(c: DemoFlowContext, meter: SimulatedEnergyMeter): Promise<string> {
  const limit = 5000;
  const command = JSON.stringify({ set: { demandLimit: limit, voltage: 240 }, id: 'demo-1' });
  const from = c.up.length;
  await c.hub().core.sendData(subdeviceKey(METER), command);
  let answer: { result?: Record<string, { ok: boolean; error?: string }> } | undefined;
  await waitFor(
    "meter1's answer at the hub",
    () => {
      for (const m of c.up.slice(from)) {
        // On an external broker the command itself is seen on the same topic: the answer has a result.
        const value = m.topic === dataTopic ? jsonObject(m.payload) : undefined;
        if (value?.id === 'demo-1' && typeof value.result === 'object') answer = value;
      }
      return answer !== undefined;
    },
    { timeoutMs: c.timeoutMs, signal: c.signal },
  );
  const result = answer?.result ?? {};
  if (result.demandLimit?.ok !== true) throw new Error(`the demand limit was not written: ${JSON.stringify(answer)}`);
  if (meter.demandLimitW !== limit) throw new Error(`the meter's register holds ${meter.demandLimitW}, not ${limit}`);
  if (result.voltage?.ok !== false) throw new Error(`the write to the read-only voltage was not refused: ${JSON.stringify(answer)}`);
  return `meter register demandLimit = ${meter.demandLimitW} W; voltage refused (${result.voltage.error ?? ''})`;
}

/** Offline and unbound, so the closing steps find the hub as the demo found it. */
export async function meterOfflineUnbind(c: DemoFlowContext): Promise<string> {
  const options = { signal: c.signal, timeoutMs: c.timeoutMs };
  for (const res of [await c.gateway().service.presence.takeOffline([METER], options), await c.gateway().service.binding.unbind([METER], options)]) {
    const refused = res.filter((r) => !r.ok);
    if (refused.length > 0) throw new Error(`hub refused: ${refused.map((r) => `${r.hubCode} ${r.message}`).join('; ')}`);
  }
  if (c.hub().isOnline(METER.productId, METER.deviceName)) throw new Error('the emulator still shows meter1 online');
  if (c.hub().registry.isBound(subdeviceKey(c.gatewayId), subdeviceKey(METER))) throw new Error('the emulator still has meter1 bound');
  return 'emulator shows meter1 offline and unbound';
}
