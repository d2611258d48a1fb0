import { parseSubdeviceKey, subdeviceKey, type Logger, type SubdeviceId } from '@iotgw/domain';
import {
  decodeGatewayRequest,
  describeGatewayResult,
  encodeGatewayReply,
  gatewayOperationResultTopic,
  verifyBindSignature,
  type BindDeviceEntry,
  type DeviceResult,
  type GatewayRequest,
  type TopologyAck,
} from '@iotgw/protocol-tencent';
import type { DeviceRegistry } from './device-registry.js';
import { EMULATOR_RESULT } from './emulator-result-codes.js';

export interface GatewayOperationsDeps {
  registry: DeviceRegistry;
  logger: Logger;
  now: () => number;
  /** How far a bind timestamp may be from the emulator clock, in seconds. */
  bindTimestampWindowSec: number;
  send(topic: string, payload: string, qos: 0 | 1): Promise<void>;
  protocolError(topic: string, reason: string): void;
  /** Tells a gateway a subdevice was bound to it (1) or taken from it (0). */
  pushChange(gateway: string, subdevice: string, status: 0 | 1): Promise<void>;
  /** A gateway acknowledged a push (`change`, `unbind_all`, `search_devices`): no reply goes back. */
  acknowledged(gateway: string, ack: TopologyAck): void;
}

const id = (d: SubdeviceId): string => subdeviceKey(d);

/**
 * Answers a gateway's requests on `$gateway/operation/{gw}` with the platform's per-device result
 * codes, and logs each outcome: info when it succeeded, warn when it was refused, with the code's
 * meaning (never the signature or the secret it was checked against).
 */
export class GatewayOperations {
  constructor(private readonly deps: GatewayOperationsDeps) {}

  async handle(gateway: SubdeviceId, payload: Buffer): Promise<void> {
    const decoded = decodeGatewayRequest(payload);
    const replyTopic = gatewayOperationResultTopic(gateway);
    if (!decoded.ok) {
      this.deps.protocolError(`$gateway/operation/${id(gateway)}`, decoded.error.message);
      // A request we cannot read still gets an answer when its type is known: -801, parameter error.
      const type = typeOf(payload);
      if (type === 'online' || type === 'offline' || type === 'bind' || type === 'unbind') {
        const devices = devicesOf(payload).map((d) => ({ subdevice: d, result: EMULATOR_RESULT.parameterError }));
        for (const d of devices) this.logResult(id(gateway), type, d);
        await this.deps.send(replyTopic, encodeGatewayReply({ type, devices }), 0);
      }
      return;
    }
    const request = decoded.value;
    if (request.type === 'change' || request.type === 'unbind_all' || request.type === 'search_devices') {
      this.deps.acknowledged(id(gateway), request);
      return;
    }
    const reply = await this.answer(id(gateway), request);
    await this.deps.send(replyTopic, reply, 0);
  }

  private async answer(gateway: string, request: Exclude<GatewayRequest, TopologyAck>): Promise<string> {
    const registry = this.deps.registry;
    switch (request.type) {
      case 'describe_sub_devices': {
        const devices = registry.subdevicesOf(gateway);
        this.deps.logger.info('gateway operation describe_sub_devices', { gateway, subdevices: devices.length });
        return encodeGatewayReply({ type: 'describe_sub_devices', devices: devices.map((key) => parseSubdeviceKey(key)) });
      }
      case 'bind': {
        const devices: DeviceResult[] = [];
        for (const entry of request.devices) devices.push(this.logResult(gateway, 'bind', { subdevice: entry.subdevice, result: await this.bindOne(gateway, entry) }));
        return encodeGatewayReply({ type: 'bind', devices });
      }
      default: {
        const devices: DeviceResult[] = [];
        for (const subdevice of request.devices) {
          devices.push(this.logResult(gateway, request.type, { subdevice, result: await this.deviceOperation(gateway, request.type, id(subdevice)) }));
        }
        return encodeGatewayReply({ type: request.type, devices });
      }
    }
  }

  private logResult(gateway: string, type: string, result: DeviceResult): DeviceResult {
    const context = { gateway, subdevice: id(result.subdevice), result: result.result, meaning: describeGatewayResult(result.result) };
    if (result.result === 0) this.deps.logger.info(`gateway operation ${type}`, context);
    else this.deps.logger.warn(`gateway operation ${type} refused`, context);
    return result;
  }

  private async deviceOperation(gateway: string, type: 'online' | 'offline' | 'unbind', sub: string): Promise<number> {
    const registry = this.deps.registry;
    if (!registry.getByKey(sub)) return EMULATOR_RESULT.unknownDevice;
    if (!registry.isBound(gateway, sub)) return EMULATOR_RESULT.notBound;
    try {
      if (type === 'online') registry.setOnline(sub, true);
      else if (type === 'offline') registry.setOnline(sub, false);
      else await registry.unbind(gateway, sub);
      return EMULATOR_RESULT.success;
    } catch (error) {
      this.deps.logger.error('registry update failed', { subdevice: sub, error: (error as Error).message });
      return EMULATOR_RESULT.systemError;
    }
  }

  private async bindOne(gateway: string, entry: BindDeviceEntry): Promise<number> {
    const registry = this.deps.registry;
    const sub = id(entry.subdevice);
    const device = registry.getByKey(sub);
    if (!device) return EMULATOR_RESULT.unknownDevice;
    if (!verifyBindSignature(entry, device.deviceSecret)) return EMULATOR_RESULT.badSignature;
    if (Math.abs(this.deps.now() / 1000 - entry.timestamp) > this.deps.bindTimestampWindowSec) return EMULATOR_RESULT.staleTimestamp;
    try {
      const previous = registry.gatewayOf(sub);
      await registry.bind(gateway, sub);
      // The hub keeps one gateway per subdevice: the one it was taken from is told.
      if (previous && previous !== gateway) await this.deps.pushChange(previous, sub, 0);
      return EMULATOR_RESULT.success;
    } catch (error) {
      this.deps.logger.error('registry update failed', { subdevice: sub, error: (error as Error).message });
      return EMULATOR_RESULT.systemError;
    }
  }
}


function typeOf(payload: Buffer): string | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as { type?: unknown };
    return typeof value.type === 'string' ? value.type : undefined;
  } catch {
    return undefined;
  }
}

/** Best-effort device list of a malformed request, so the -801 reply still names them. */
function devicesOf(payload: Buffer): SubdeviceId[] {
  try {
    const value = JSON.parse(payload.toString('utf8')) as { payload?: { devices?: unknown } };
    const list = value.payload?.devices;
    if (!Array.isArray(list)) return [];
    return list
      .filter(
        (d): d is { product_id: string; device_name: string } =>
          typeof d === 'object' && d !== null && typeof (d as { product_id?: unknown }).product_id === 'string' && typeof (d as { device_name?: unknown }).device_name === 'string',
      )
      .map((d) => ({ productId: d.product_id, deviceName: d.device_name }));
  } catch {
    return [];
  }
}
