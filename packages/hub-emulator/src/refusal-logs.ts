import type { Logger } from '@iotgw/domain';
import { BoundedLog } from './bounded-log.js';
import type { AclDenial, EmbeddedBrokerEvents, OversizePacket } from './embedded-broker.js';
import type { MalformedMessage } from './hub-core.js';
import type { AuthFailure, HubEmulatorStats, HubRefusal } from './hub-emulator.types.js';

/**
 * Everything the hub refused — CONNECTs, publishes/subscribes, oversize packets (kept here) and
 * malformed messages (kept by the core) — the newest `capacity` of each with total counts, logged
 * at warn as it happens and told to listeners (the console).
 */
export class RefusalLogs {
  readonly denials: BoundedLog<AclDenial>;
  readonly authFailures: BoundedLog<AuthFailure>;
  readonly oversize: BoundedLog<OversizePacket>;
  private readonly listeners: Array<(refusal: HubRefusal) => void> = [];

  constructor(
    capacity: number,
    private readonly logger: Logger,
  ) {
    this.denials = new BoundedLog(capacity);
    this.authFailures = new BoundedLog(capacity);
    this.oversize = new BoundedLog(capacity);
  }

  onRefusal(listener: (refusal: HubRefusal) => void): void {
    this.listeners.push(listener);
  }

  /** The broker's refusal hooks. */
  brokerEvents(): Pick<EmbeddedBrokerEvents, 'onDenied' | 'onAuthFailed' | 'onOversize'> {
    return {
      onDenied: (denial) => {
        this.denials.push(denial);
        this.logger.warn('ACL denied', { device: denial.device, action: denial.action, topic: denial.topic, reason: denial.reason });
        this.tell(fromDenial(denial));
      },
      onAuthFailed: (clientId, reason) => {
        const failure = { at: Date.now(), clientId, reason };
        this.authFailures.push(failure);
        this.logger.warn('MQTT auth refused', { clientId, reason });
        this.tell(fromAuthFailure(failure));
      },
      onOversize: (packet) => {
        this.oversize.push(packet);
        this.logger.warn('MQTT packet over the size limit: connection closed', { device: packet.device, bytes: packet.bytes, limit: packet.limit });
        this.tell(fromOversize(packet));
      },
    };
  }

  /** A malformed message the core recorded (the core logs it). */
  malformed(message: MalformedMessage): void {
    this.tell(fromMalformed(message));
  }

  /** Every kept refusal of every kind, oldest first. */
  list(malformed: readonly MalformedMessage[]): HubRefusal[] {
    return [...this.denials.items.map(fromDenial), ...this.authFailures.items.map(fromAuthFailure), ...malformed.map(fromMalformed), ...this.oversize.items.map(fromOversize)].sort(
      (a, b) => a.at - b.at,
    );
  }

  stats(protocolErrors: number): HubEmulatorStats {
    return { aclDenials: this.denials.total, authFailures: this.authFailures.total, protocolErrors, oversizePackets: this.oversize.total };
  }

  private tell(refusal: HubRefusal): void {
    for (const listener of this.listeners) listener(refusal);
  }
}

const fromDenial = (d: AclDenial): HubRefusal => ({ at: d.at, kind: 'acl', device: d.device, topic: d.topic, reason: `${d.action} denied: ${d.reason}` });
const fromAuthFailure = (f: AuthFailure): HubRefusal => ({ at: f.at, kind: 'auth', device: f.clientId, reason: `connection refused: ${f.reason}` });
const fromOversize = (o: OversizePacket): HubRefusal => ({
  at: o.at,
  kind: 'oversize',
  device: o.device,
  reason: `packet of ${o.bytes} bytes over the ${o.limit}-byte limit: connection closed`,
});
const fromMalformed = (m: MalformedMessage): HubRefusal => ({ at: m.at, kind: 'malformed', device: deviceOfTopic(m.topic), topic: m.topic, reason: m.reason });

/** `$ota/report/PID/name` or `$gateway/operation/PID/name` → `PID/name` (the device the hub blames). */
function deviceOfTopic(topic: string): string {
  const parts = topic.split('/');
  return parts.length >= 2 ? parts.slice(-2).join('/') : topic;
}
