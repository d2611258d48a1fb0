import type { FirmwareSender } from './firmware-sender.js';
import type { PeerInfo } from './peer-info.js';
import type { ReliableSender } from './reliable-sender.js';
import type { DataReceiver } from './data-receiver.js';
import { Capability } from '../messages.js';

/** The gateway engine's state of one attached subdevice. */
export interface PeerState {
  info: PeerInfo;
  lastHeard: number;
  /** Frames other than HELLO since the attach, to tell a repeated HELLO from a reboot. */
  framesSinceHello: number;
  txSeq: number;
  /** Incoming DATA: delivered once per seq, acknowledged once the application says it is safe. */
  readonly received: DataReceiver;
  readonly sender: ReliableSender;
  firmware?: FirmwareSender;
  /** An FW_CANCEL being repeated until the subdevice answers (revision 2). */
  cancel?: { readonly reason: number; attempts: number; deadline: number };
}

/** The peer acknowledges DATA (and SHADOW_* messages), so we resend until it does. */
export function reliable(peer: PeerInfo): boolean {
  return (peer.capabilities & Capability.RELIABLE_DATA) !== 0;
}

export function newPeerState(info: PeerInfo, now: number, received: DataReceiver, sender: ReliableSender): PeerState {
  return { info, lastHeard: now, framesSinceHello: 0, txSeq: 0, received, sender };
}

/** A HELLO that says nothing new (its HELLO_ACK was lost), unlike a restart or another subdevice at the address. */
export function sameSession(current: PeerInfo, hello: PeerInfo): boolean {
  return (
    current.productId === hello.productId &&
    current.deviceName === hello.deviceName &&
    current.firmwareVersion === hello.firmwareVersion &&
    current.revision === hello.revision &&
    current.capabilities === hello.capabilities &&
    current.features === hello.features
  );
}
