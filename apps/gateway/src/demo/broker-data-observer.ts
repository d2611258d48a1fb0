import mqtt, { type MqttClient } from 'mqtt';
import type { HubMessageRecord } from '@iotgw/hub-emulator';

/**
 * On an external broker the emulator subscribes to operations and OTA reports only, so the demo
 * watches device data topics (and the gateway's event topic: remote configuration outcomes) on the
 * broker itself to check that readings arrived.
 */
export async function observeBrokerData(url: string, onMessage: (record: HubMessageRecord) => void): Promise<{ close(): Promise<void> }> {
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: `iotgw-demo-observer-${process.pid}`, reconnectPeriod: 500 });
  client.on('message', (topic, payload) => onMessage({ at: Date.now(), direction: 'up', topic, payload: payload.toString('utf8'), size: payload.length }));
  await client.subscribeAsync(['+/+/data', '+/+/event'], { qos: 1 });
  return { close: () => client.endAsync() };
}
