import { connectAsync, type MqttClient } from 'mqtt';
import { subdeviceKey, type FirmwareJob, type HubLogLevel, type SubdeviceId } from '@iotgw/domain';
import {
  configOperationResultTopic,
  dataTopic,
  decodeConfigRequest,
  decodeGatewayRequest,
  decodeLogLevelRequest,
  encodeConfigMessage,
  encodeLogLevelMessage,
  logOperationResultTopic,
  decodeOtaDeviceMessage,
  encodeGatewayReply,
  encodeUpdateFirmware,
  gatewayOperationResultTopic,
  otaUpdateTopic,
  parseTopic,
  verifyBindSignature,
  type GatewayRequest,
  type OtaDeviceMessage,
  type TopologyAck,
} from '@iotgw/protocol-tencent';

/**
 * Plays the hub's side of gateway operations over a plain MQTT client, using protocol-tencent:
 * answers online/offline/bind/unbind/describe, records data and OTA reports, pushes downlinks.
 */
export class HubResponder {
  readonly bound = new Set<string>();
  readonly secrets = new Map<string, string>();
  readonly requests: GatewayRequest[] = [];
  readonly data: Array<{ subdevice: SubdeviceId; channel: string; payload: Buffer }> = [];
  readonly reports: Array<{ subdevice: SubdeviceId; message: OtaDeviceMessage }> = [];
  /** Operation types whose next request gets no answer. */
  readonly dropNext = new Set<string>();
  /** Fixed results per `pid/dev`, overriding the bound check. */
  readonly forcedResult = new Map<string, number>();
  resultAsString = false;
  /** Treat every subdevice as bound (benchmarks). */
  bindAll = false;
  delayMs = 0;
  /** The gateway's configuration as the console holds it; `configEnabled` false answers 1001. */
  config: Readonly<Record<string, unknown>> | undefined;
  configEnabled = true;
  logLevel: HubLogLevel = 'none';
  #client: MqttClient | undefined;

  constructor(
    readonly gateway: SubdeviceId,
    readonly port: number,
    readonly session: { readonly clientId?: string; readonly clean?: boolean } = {},
  ) {}

  async start(): Promise<void> {
    const client = await connectAsync({ host: '127.0.0.1', port: this.port, protocolVersion: 4, clientId: this.session.clientId ?? `hub-${Math.random()}`,
      clean: this.session.clean ?? true, username: 'hub', reconnectPeriod: 100, resubscribe: false });
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    this.#client = client;
    await this.#subscribe();
    // A restarted broker forgot everything: subscribe again on each reconnect, then count it.
    // A subscribe cut by the next loss is retried by the next connect: nothing to report.
    client.on('connect', () => void this.#subscribe().catch(() => undefined));
  }

  /** How many times the responder has been connected and subscribed (1 after start). */
  ready = 0;

  async #subscribe(): Promise<void> {
    await this.#client?.subscribeAsync({
      '$gateway/operation/+/+': { qos: 0 },
      // Data topics, multi-level channels (`user/alarm`) included.
      '+/+/#': { qos: 1 },
      '$ota/report/+/+': { qos: 1 },
      '$config/operation/+/+': { qos: 0 },
      '$log/operation/+/+': { qos: 0 },
    });
    this.ready++;
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync(true);
  }

  async publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 0): Promise<void> {
    await this.#client?.publishAsync(topic, payload, { qos });
  }

  async pushDownlink(subdevice: SubdeviceId, channel: string, payload: Buffer): Promise<void> {
    await this.publish(dataTopic(subdevice, channel), payload);
  }

  async pushChange(subdevices: SubdeviceId[], bound: boolean): Promise<void> {
    await this.publish(gatewayOperationResultTopic(this.gateway), encodeGatewayReply({ type: 'change', status: bound ? 1 : 0, devices: subdevices }));
  }

  async pushUnbindAll(): Promise<void> {
    await this.publish(gatewayOperationResultTopic(this.gateway), encodeGatewayReply({ type: 'unbind_all' }));
  }

  async pushSearch(status: number): Promise<void> {
    await this.publish(gatewayOperationResultTopic(this.gateway), encodeGatewayReply({ type: 'search_devices', status }));
  }

  async pushFirmware(subdevice: SubdeviceId, job: FirmwareJob): Promise<void> {
    await this.publish(otaUpdateTopic(subdevice), encodeUpdateFirmware(job), 1);
  }

  async pushConfig(config: Readonly<Record<string, unknown>>): Promise<void> {
    this.config = config;
    await this.publish(configOperationResultTopic(this.gateway), encodeConfigMessage({ type: 'push', result: 0, payload: config }), 1);
  }

  async pushLogLevel(level: HubLogLevel): Promise<void> {
    this.logLevel = level;
    await this.publish(logOperationResultTopic(this.gateway), encodeLogLevelMessage({ level, result: 0, clientToken: undefined, timestamp: Math.floor(Date.now() / 1000) }), 1);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed) return;
    if (parsed.kind === 'config-operation') {
      if (!decodeConfigRequest(payload).ok) return;
      const reply = this.configEnabled ? { type: 'reply' as const, result: 0, payload: this.config } : { type: 'reply' as const, result: 1001, payload: undefined };
      void this.publish(configOperationResultTopic(parsed.device), encodeConfigMessage(reply), 1);
      return;
    }
    if (parsed.kind === 'log-operation') {
      const request = decodeLogLevelRequest(payload);
      if (!request.ok) return;
      void this.publish(logOperationResultTopic(parsed.device), encodeLogLevelMessage({ level: this.logLevel, result: 0, clientToken: request.value.clientToken, timestamp: Math.floor(Date.now() / 1000) }), 1);
      return;
    }
    if (parsed.kind === 'data') {
      this.data.push({ subdevice: parsed.device, channel: parsed.channel, payload });
    } else if (parsed.kind === 'ota-report') {
      const m = decodeOtaDeviceMessage(payload);
      if (m.ok) this.reports.push({ subdevice: parsed.device, message: m.value });
    } else if (parsed.kind === 'gateway-operation') {
      const r = decodeGatewayRequest(payload);
      if (!r.ok) return;
      this.requests.push(r.value);
      const request = r.value;
      // The gateway's acks of our pushes get no answer, as on the platform.
      if (request.type === 'change' || request.type === 'unbind_all' || request.type === 'search_devices') return;
      if (this.dropNext.delete(request.type)) return;
      const reply = this.#answer(request);
      const send = (): void => void this.publish(gatewayOperationResultTopic(parsed.device), reply);
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    }
  }

  #answer(request: Exclude<GatewayRequest, TopologyAck>): string {
    if (request.type === 'describe_sub_devices') {
      return encodeGatewayReply({
        type: 'describe_sub_devices',
        devices: [...this.bound].map((k) => {
          const [productId = '', deviceName = ''] = k.split('/');
          return { productId, deviceName };
        }),
      });
    }
    const devices = request.devices.map((entry) => {
      const subdevice = 'signature' in entry ? entry.subdevice : entry;
      const key = subdeviceKey(subdevice);
      let result = this.bindAll || this.bound.has(key) ? 0 : -1;
      if (request.type === 'bind') {
        const secret = this.secrets.get(key);
        result = secret !== undefined && 'signature' in entry && verifyBindSignature(entry, secret) ? 0 : -2;
        if (result === 0) this.bound.add(key);
      } else if (request.type === 'unbind' && result === 0) {
        this.bound.delete(key);
      }
      return { subdevice, result: this.forcedResult.get(key) ?? result };
    });
    const wire = encodeGatewayReply({ type: request.type, devices });
    return this.resultAsString ? wire.replace(/"result":(-?\d+)/g, '"result":"$1"') : wire;
  }
}
