import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { buildKeyAuth, createBindEntry, encodeGatewayRequest, gatewayOperationResultTopic, gatewayOperationTopic, type GatewayRequest } from '@iotgw/protocol-tencent';
import { HubEmulator, type HubEmulatorOptions, type RegistryDocument } from '../src/index.js';

export const GW = { productId: 'GW00000001', deviceName: 'gw1', deviceSecret: Buffer.from('gateway-secret-1').toString('base64') };
export const SUB1 = { productId: 'SB00000001', deviceName: 'test1', deviceSecret: Buffer.from('sub-secret-1').toString('base64') };
export const SUB2 = { productId: 'SB00000001', deviceName: 'test2', deviceSecret: Buffer.from('sub-secret-2').toString('base64') };
export const GW2 = { productId: 'GW00000002', deviceName: 'gw2', deviceSecret: Buffer.from('gateway-secret-2').toString('base64') };

export function sampleRegistry(): RegistryDocument {
  return {
    devices: [{ ...GW, gateway: true }, { ...GW2, gateway: true }, SUB1, SUB2],
    bindings: [{ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/test1' }],
  };
}

export interface Fixture {
  hub: HubEmulator;
  dir: string;
  registryPath: string;
  clients: MqttClient[];
  cleanup(): Promise<void>;
}

export async function startHub(doc: RegistryDocument = sampleRegistry(), options: Omit<HubEmulatorOptions, 'registryPath'> = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-emu-'));
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify(doc));
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, host: '127.0.0.1', ...options, registryPath });
  const clients: MqttClient[] = [];
  return {
    hub,
    dir,
    registryPath,
    clients,
    async cleanup() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function connectDevice(
  fx: Fixture,
  device: { productId: string; deviceName: string; deviceSecret: string },
  extra: { signMethod?: 'hmacsha1' | 'hmacsha256'; password?: string; sdkAppId?: string; expiry?: number } = {},
): Promise<MqttClient> {
  const creds = buildKeyAuth({ ...device, ...(extra.signMethod ? { signMethod: extra.signMethod } : {}), ...(extra.sdkAppId ? { sdkAppId: extra.sdkAppId } : {}), ...(extra.expiry !== undefined ? { expiry: extra.expiry } : {}) });
  const client = mqtt.connect(fx.hub.urls.mqtt, {
    clientId: creds.clientId,
    username: creds.username,
    password: extra.password ?? creds.password,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  fx.clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Connects as the gateway and subscribes to its result topic; `request` sends and awaits the reply of that type. */
export async function connectGateway(fx: Fixture, gw = GW) {
  const client = await connectDevice(fx, gw);
  const replies: any[] = [];
  const waiters: Array<{ type: string; resolve: (m: any) => void }> = [];
  client.on('message', (topic, payload) => {
    if (topic !== gatewayOperationResultTopic(gw)) return;
    const message = JSON.parse(payload.toString());
    replies.push(message);
    const i = waiters.findIndex((w) => w.type === message.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(message);
  });
  await client.subscribeAsync(gatewayOperationResultTopic(gw), { qos: 1 });
  const next = (type: string) => new Promise<any>((resolve) => waiters.push({ type, resolve }));
  return {
    client,
    replies,
    next,
    async request(request: GatewayRequest | string): Promise<any> {
      const payload = typeof request === 'string' ? request : encodeGatewayRequest(request);
      const type = typeof request === 'string' ? JSON.parse(request).type : request.type;
      const reply = next(type);
      await client.publishAsync(gatewayOperationTopic(gw), payload, { qos: 0 });
      return reply;
    },
  };
}

export function bindEntry(sub: { productId: string; deviceName: string; deviceSecret: string }, opts: { secret?: string; timestamp?: number; signMethod?: 'hmacsha1' | 'hmacsha256' } = {}) {
  return createBindEntry({ subdevice: sub, secret: opts.secret ?? sub.deviceSecret, ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}), ...(opts.signMethod ? { signMethod: opts.signMethod } : {}) });
}

export const sub = (d: { productId: string; deviceName: string }) => ({ productId: d.productId, deviceName: d.deviceName });

/** SUBACK return codes per topic (mqtt.js rejects the promise form when any is 128). */
export async function subscribeCodes(client: MqttClient, topics: string[], qos: 0 | 1 = 0): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(topics, { qos });
    return granted.map((g) => g.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted;
  }
}

/** One admin API call with the hub's token, as the console and curl make them. */
export async function adminCall(hub: HubEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${hub.urls.http}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.adminToken}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}
