import { parseSubdeviceKey, subdeviceKey, type Logger } from '@iotgw/domain';
import { encodeGatewayReply, gatewayOperationResultTopic, type TopologyAck } from '@iotgw/protocol-tencent';
import { BoundedLog } from './bounded-log.js';
import type { DeviceRegistry } from './device-registry.js';
import { RegistryError } from './hub-emulator.errors.js';

/** A gateway's acknowledgement of a topology push, as received (the console lists them). */
export interface TopologyAckRecord {
  at: number;
  gateway: string;
  type: TopologyAck['type'];
  /** `change`: 1 bound, 0 unbound; `search_devices`: the status echoed. */
  status?: number;
  /** `unbind_all`, `search_devices`: the gateway's result. */
  result?: number;
  /** `change`: each subdevice with its result. */
  devices?: Array<{ subdevice: string; result: number }>;
}

export interface TopologyPushesDeps {
  registry: DeviceRegistry;
  logger: Logger;
  now: () => number;
  send(topic: string, payload: string, qos: 0 | 1): Promise<void>;
  acknowledged(record: TopologyAckRecord): void;
}

/**
 * The console's topology pushes beyond a single bind/unbind, as the platform sends them on the
 * gateway's `$gateway/operation/result/{pid}/{dev}` (QoS 0): "unbind all" and "search for
 * subdevices" (start/stop), and the acknowledgements gateways send back for every push
 * (`change` included) on `$gateway/operation/{pid}/{dev}`, kept for the console.
 */
export class TopologyPushes {
  /** The newest acknowledgements (all counted in `total`). */
  readonly acks = new BoundedLog<TopologyAckRecord>(200);

  constructor(private readonly deps: TopologyPushesDeps) {}

  /** Unbinds every subdevice of `gateway` in the registry, then pushes `unbind_all`; returns those unbound. */
  async unbindAll(gateway: string): Promise<string[]> {
    this.#requireGateway(gateway);
    const subdevices = this.deps.registry.subdevicesOf(gateway);
    for (const sub of subdevices) await this.deps.registry.unbind(gateway, sub);
    this.deps.logger.info('unbind_all pushed', { gateway, subdevices: subdevices.length });
    await this.deps.send(gatewayOperationResultTopic(parseSubdeviceKey(gateway)), encodeGatewayReply({ type: 'unbind_all' }), 0);
    return subdevices;
  }

  /** Asks `gateway` to start (status 1) or stop (0) searching for new subdevices. */
  async searchDevices(gateway: string, status: number): Promise<void> {
    this.#requireGateway(gateway);
    if (!Number.isSafeInteger(status)) throw new RegistryError(`search status must be an integer (1 start, 0 stop), got ${String(status)}`);
    this.deps.logger.info('search_devices pushed', { gateway, status });
    await this.deps.send(gatewayOperationResultTopic(parseSubdeviceKey(gateway)), encodeGatewayReply({ type: 'search_devices', status }), 0);
  }

  /** A gateway acknowledged a push. */
  record(gateway: string, ack: TopologyAck): void {
    const base = { at: this.deps.now(), gateway, type: ack.type };
    const record: TopologyAckRecord =
      ack.type === 'change'
        ? { ...base, status: ack.status, devices: ack.devices.map((d) => ({ subdevice: subdeviceKey(d.subdevice), result: d.result })) }
        : ack.type === 'search_devices'
          ? { ...base, status: ack.status, result: ack.result }
          : { ...base, result: ack.result };
    this.acks.push(record);
    this.deps.logger.info(`gateway acknowledged ${ack.type}`, { gateway, ...(record.status !== undefined ? { status: record.status } : {}), ...(record.result !== undefined ? { result: record.result } : {}) });
    this.deps.acknowledged(record);
  }

  #requireGateway(gateway: string): void {
    if (!this.deps.registry.getByKey(gateway)) throw new RegistryError(`gateway ${gateway} is not in the registry`);
  }
}
