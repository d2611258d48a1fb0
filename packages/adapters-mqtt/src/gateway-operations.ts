import type { MqttClient } from 'mqtt';
import {
  HubDisconnectedError,
  subdeviceKey,
  withDeadline,
  type BindRequest,
  type CallOptions,
  type Clock,
  type SubdeviceId,
  type SubdeviceResult,
} from '@iotgw/domain';
import {
  createBindEntry,
  describeGatewayResult,
  encodeGatewayRequest,
  gatewayRefusal,
  gatewayOperationTopic,
  type GatewayRequest,
  type ResultOperation,
  type TopologyAck,
} from '@iotgw/protocol-tencent';
import type { OnlineGate } from './online-gate.js';
import { OperationCorrelator } from './operation-correlator.js';
import { chunks } from './subscription-batches.js';
import { untilAborted } from './until-aborted.js';

/**
 * The hub's gateway operations (online, offline, bind, unbind, describe) on the gateway's own
 * topic: batched by `batchSize`, answered by correlating replies (which carry no request id) on
 * type + subdevice, each call bounded by its timeout. The online gate follows the verdicts.
 */
export class GatewayOperations {
  readonly correlator = new OperationCorrelator();

  constructor(
    private readonly gateway: SubdeviceId,
    private readonly client: () => MqttClient,
    private readonly gate: OnlineGate,
    private readonly settings: { readonly timeoutMs: number; readonly batchSize: number; readonly clock: Clock },
  ) {}

  online(subdevices: readonly SubdeviceId[], options: CallOptions): Promise<SubdeviceResult[]> {
    return this.#resultOperation('online', subdevices, (devices) => ({ type: 'online', devices }), options);
  }

  offline(subdevices: readonly SubdeviceId[], options: CallOptions): Promise<SubdeviceResult[]> {
    return this.#resultOperation('offline', subdevices, (devices) => ({ type: 'offline', devices }), options);
  }

  unbind(subdevices: readonly SubdeviceId[], options: CallOptions): Promise<SubdeviceResult[]> {
    return this.#resultOperation('unbind', subdevices, (devices) => ({ type: 'unbind', devices }), options);
  }

  bind(requests: readonly BindRequest[], options: CallOptions): Promise<SubdeviceResult[]> {
    const secrets = new Map<string, string>();
    for (const r of requests) if (!secrets.has(subdeviceKey(r.subdevice))) secrets.set(subdeviceKey(r.subdevice), r.secret);
    return this.#resultOperation(
      'bind',
      requests.map((r) => r.subdevice),
      (devices) => ({
        type: 'bind',
        devices: devices.map((d) => createBindEntry({ subdevice: d, secret: secrets.get(subdeviceKey(d)) ?? '' })),
      }),
      options,
    );
  }

  listBound(options: CallOptions): Promise<SubdeviceId[]> {
    return withDeadline('listing bound subdevices', options, this.settings.timeoutMs, async (signal) => {
      const client = this.client();
      const wait = this.correlator.waitList();
      try {
        if (wait.fresh) await this.#send(client, { type: 'describe_sub_devices' });
        return await untilAborted(wait.promise, signal);
      } finally {
        wait.release();
      }
    }, this.settings.clock);
  }

  /**
   * Answers a hub push (`change`, `unbind_all`, `search_devices`) as the C SDK does: QoS 0 on the
   * operation topic, fire and forget (the hub does not retry; a lost ack changes nothing here).
   */
  async acknowledge(ack: TopologyAck): Promise<void> {
    await this.#send(this.client(), ack);
  }

  /** The connection is gone: no reply can come any more. */
  rejectAll(error?: HubDisconnectedError): void {
    this.correlator.rejectAll(error);
  }

  async #resultOperation(
    type: ResultOperation,
    subdevices: readonly SubdeviceId[],
    request: (devices: SubdeviceId[]) => GatewayRequest,
    options: CallOptions,
  ): Promise<SubdeviceResult[]> {
    if (subdevices.length === 0) return [];
    return withDeadline(`${type} of ${subdevices.length} subdevice(s)`, options, this.settings.timeoutMs, async (signal) => {
      const client = this.client();
      const unique = new Map<string, SubdeviceId>();
      for (const s of subdevices) if (!unique.has(subdeviceKey(s))) unique.set(subdeviceKey(s), s);
      // No reading may follow an offline or unbind request onto the wire: close the gates first.
      const closed = type === 'offline' || type === 'unbind' ? this.gate.close([...unique.values()]) : [];
      const codes = new Map<string, number>();
      const waits: Array<ReturnType<OperationCorrelator['waitResult']> & { readonly d: SubdeviceId }> = [];
      try {
        const sends: Array<Promise<void>> = [];
        for (const batch of chunks([...unique.values()], this.settings.batchSize)) {
          const batchWaits = batch.map((d) => ({ d, ...this.correlator.waitResult(type, d) }));
          waits.push(...batchWaits);
          // A subdevice someone else already asked about shares that request's reply.
          const fresh = batchWaits.filter((w) => w.fresh).map((w) => w.d);
          if (fresh.length > 0) sends.push(this.#send(client, request(fresh)));
        }
        // One abort listener for the whole call, however many batches it has.
        await untilAborted(Promise.all(sends), signal);
        const results = await untilAborted(Promise.all(waits.map((w) => w.promise)), signal);
        waits.forEach((w, i) => codes.set(subdeviceKey(w.d), results[i] ?? -2));
      } finally {
        for (const w of waits) w.release();
      }
      const accepted = [...unique.values()].filter((d) => codes.get(subdeviceKey(d)) === 0);
      if (type === 'online') await this.gate.follow(client, accepted);
      if (type === 'offline' || type === 'unbind') {
        // A refusal leaves the subdevice online at the hub: its data may flow again.
        this.gate.reopen(closed.filter((key) => codes.get(key) !== 0));
        await this.gate.unfollow(client, accepted);
      }
      return subdevices.map((s) => {
        const hubCode = codes.get(subdeviceKey(s)) ?? -2;
        const error = gatewayRefusal(type, s, hubCode);
        return { subdevice: s, ok: hubCode === 0, hubCode, message: describeGatewayResult(hubCode), ...(error ? { error } : {}) };
      });
    }, this.settings.clock);
  }

  async #send(client: MqttClient, request: GatewayRequest): Promise<void> {
    // QoS 0 like the SDKs: the reply (or its absence → timeout) is the acknowledgement.
    await client.publishAsync(gatewayOperationTopic(this.gateway), encodeGatewayRequest(request), { qos: 0 });
  }
}
