import type { Gateway } from '@iotgw/app';
import type { SubdeviceId } from '@iotgw/domain';
import type { HubEmulator, HubMessageRecord } from '@iotgw/hub-emulator';

/** What a demo flow in its own file works with: the running parts, checked as the demo goes. */
export interface DemoFlowContext {
  readonly hub: () => HubEmulator;
  readonly gateway: () => Gateway;
  /** The gateway device. */
  readonly gatewayId: SubdeviceId;
  /** Every message the hub received so far (data and event topics included). */
  readonly up: readonly HubMessageRecord[];
  readonly signal: AbortSignal;
  /** A step's checks come true within this, or it fails. */
  readonly timeoutMs: number;
}
