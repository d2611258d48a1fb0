import mqtt, { type MqttClient } from 'mqtt';
import { withDeadline, type CallOptions, type Logger } from '@iotgw/domain';
import type { HubBus, HubMessageHandler } from './hub-bus.js';

/**
 * The hub logic as a client of an existing broker (e.g. mosquitto). Auth and ACL then belong to
 * that broker: the emulator only answers operations and OTA reports it sees.
 */
export class ExternalBrokerBus implements HubBus {
  private readonly handlers: HubMessageHandler[] = [];

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      for (const handler of this.handlers) handler(topic, payload);
    });
  }

  static async connect(options: { url: string; logger: Logger } & CallOptions): Promise<ExternalBrokerBus> {
    return withDeadline(`connecting to broker ${options.url}`, options, 10_000, async (signal) => {
      const client = mqtt.connect(options.url, { protocolVersion: 4, clean: true, clientId: `iotgw-hub-${process.pid}-${Date.now()}`, reconnectPeriod: 1000 });
      // end(true) alone leaves a socket that is still waiting for CONNACK open: destroy it too.
      const abandon = (): void => {
        client.end(true);
        client.stream?.destroy();
      };
      signal.addEventListener('abort', abandon, { once: true });
      try {
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', reject);
        });
        client.on('error', (error) => options.logger.warn('external broker error', { error: error.message }));
        await client.subscribeAsync(['$gateway/operation/+/+', '$ota/report/+/+', '$rrpc/txd/+/+/+', '$shadow/operation/+/+', '$sys/operation/+/+'], { qos: 1 });
      } catch (error) {
        // Left alone, the client's reconnect timer would keep retrying and keep the process alive.
        abandon();
        throw error;
      }
      return new ExternalBrokerBus(client);
    });
  }

  onMessage(handler: HubMessageHandler): void {
    this.handlers.push(handler);
  }

  async publish(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
