import { subdeviceKey, TypedEmitter, type HubTransportEvents, type Logger, type ThrottledLog } from '@iotgw/domain';
import type { DecodeRefusal, TopologyAck } from '@iotgw/protocol-tencent';
import { decodeGatewayReply, decodeLogLevelMessage, decodeOtaHubMessage, decodeRemoteConfigMessage, decodeShadowHubMessage, decodeTimeReply, parseTopic } from '@iotgw/protocol-tencent';
import type { TimeService } from './time-service.js';
import type { ShadowOperations } from './shadow-operations.js';
import type { EchoFilter } from './echo-filter.js';
import type { GatewayOperations } from './gateway-operations.js';
import type { OnlineGate } from './online-gate.js';

/**
 * Everything the hub sends, to where it belongs: operation replies to the waiting calls, data to
 * `downlink` (minus the echo of our own uplink), firmware jobs to `firmwareUpdate`, console
 * (un)binds to `bindingChanged`. Malformed messages are reported as a count and a summary per
 * interval, never a line and an event each: a flood of garbage must not drown the log or stall
 * the readings going up.
 */
export class DownlinkRouter {
  constructor(
    private readonly events: TypedEmitter<HubTransportEvents>,
    private readonly operations: GatewayOperations,
    private readonly gate: OnlineGate,
    private readonly echoes: EchoFilter,
    private readonly warnings: ThrottledLog,
    private readonly log: Logger,
    /** The current client, for unsubscribing what the console unbound (`undefined`: everything). */
    private readonly unfollow: (devices: Parameters<OnlineGate['unfollow']>[1] | undefined) => void,
    private readonly now: () => number = Date.now,
    private readonly shadows?: ShadowOperations,
    private readonly time?: TimeService,
  ) {}

  route(topic: string, payload: Buffer, qos: 0 | 1 = 1): void {
    const parsed = parseTopic(topic);
    if (!parsed) {
      this.warnings.warn('unknown-topic', 'message on a topic the gateway does not know ignored', { topic });
      return;
    }
    if (parsed.kind === 'data') {
      if (this.echoes.isEcho(topic, payload, qos)) return;
      this.events.emit('downlink', { subdevice: parsed.device, channel: parsed.channel, payload: new Uint8Array(payload) });
      return;
    }
    if (parsed.kind === 'rrpc-request') {
      // Opaque bytes both ways (the cloud API's Payload string, delivered raw).
      this.events.emit('rrpcRequest', { subdevice: parsed.device, processId: parsed.processId, payload: new Uint8Array(payload), receivedAt: this.now() });
      return;
    }
    if (parsed.kind === 'broadcast') {
      this.events.emit('broadcast', { subdevice: parsed.device, payload: new Uint8Array(payload) });
      return;
    }
    if (parsed.kind === 'system-operation-result') {
      const reply = decodeTimeReply(payload);
      if (!reply.ok) return this.#malformed('time', reply);
      this.time?.reply(reply.value);
      return;
    }
    if (parsed.kind === 'shadow-operation-result') {
      const message = decodeShadowHubMessage(payload);
      if (!message.ok) return this.#malformed('shadow', message);
      const m = message.value;
      if (m.type === 'delta') this.events.emit('shadowDelta', { subdevice: parsed.device, version: m.version, state: m.state });
      else if (!this.shadows?.reply(m)) this.log.debug('shadow reply nobody waits for (late or not ours)', { subdevice: subdeviceKey(parsed.device), clientToken: m.clientToken });
      return;
    }
    if (parsed.kind === 'gateway-operation-result') {
      const reply = decodeGatewayReply(payload);
      if (!reply.ok) return this.#malformed('gateway-reply', reply);
      const r = reply.value;
      if (r.type === 'change') {
        // As the C SDK: apply, then ack every device with result 0 at QoS 0.
        if (r.status !== 1) {
          this.gate.close(r.devices);
          this.unfollow(r.devices);
        }
        this.events.emit('bindingChanged', { subdevices: r.devices, bound: r.status === 1 });
        this.#acknowledge({ type: 'change', status: r.status, devices: r.devices.map((subdevice) => ({ subdevice, result: 0 })) });
      } else if (r.type === 'unbind_all') {
        // The C SDK drops every subdevice session, replies result 0, then tells the application.
        this.unfollow(undefined);
        this.#acknowledge({ type: 'unbind_all', result: 0 });
        this.events.emit('allUnbound', undefined);
      } else if (r.type === 'search_devices') {
        this.#acknowledge({ type: 'search_devices', status: r.status, result: 0 });
        this.events.emit('deviceSearch', { status: r.status, searching: r.status !== 0 });
      } else if (r.type === 'describe_sub_devices') {
        this.operations.correlator.resolveList([...r.devices]);
      } else {
        for (const d of r.devices) this.operations.correlator.resolveResult(r.type, d.subdevice, d.result);
      }
      return;
    }
    if (parsed.kind === 'config-operation-result') {
      const message = decodeRemoteConfigMessage(payload, { maxBytes: payload.byteLength });
      if (!message.ok) return this.#malformed('remote-config', message);
      const { type, result, payload: config } = message.value;
      this.events.emit('remoteConfig', { type, result, config });
      return;
    }
    if (parsed.kind === 'log-operation-result') {
      const message = decodeLogLevelMessage(payload);
      if (!message.ok) return this.#malformed('log-level', message);
      if (message.value.result === 0) this.events.emit('logLevel', message.value.level);
      return;
    }
    if (parsed.kind === 'ota-update') {
      const message = decodeOtaHubMessage(payload);
      if (!message.ok) return this.#malformed('ota-update', message);
      if (message.value.type === 'update_firmware') {
        this.events.emit('firmwareUpdate', { subdevice: parsed.device, job: message.value.job });
      } else if (message.value.type === 'update_firmware_refused') {
        // The OTA use case reports it to the hub and logs it once.
        const { version, reason } = message.value;
        this.events.emit('firmwareUpdateRefused', { subdevice: parsed.device, version, reason });
      } else {
        this.log.debug('version report acknowledged', { subdevice: subdeviceKey(parsed.device), resultCode: message.value.resultCode });
      }
    }
  }

  /** Fire and forget, as the SDK: a lost ack is logged, the push is already applied. */
  #acknowledge(ack: TopologyAck): void {
    this.operations.acknowledge(ack).catch((error: unknown) => {
      this.log.warn(`could not acknowledge the hub's ${ack.type}: ${(error as Error).message}`);
    });
  }

  /**
   * One warning line and one `error` event per kind per interval, with the count held back. A
   * counted refusal costs a map lookup: no message is formatted and no Error (stack trace) is made.
   */
  #malformed(kind: string, refusal: DecodeRefusal): void {
    if (this.warnings.hold(kind)) return;
    const error = refusal.error;
    this.warnings.warn(kind, `malformed message from the hub: ${error.message}`, { code: error.code });
    this.events.emit('error', error);
  }
}
