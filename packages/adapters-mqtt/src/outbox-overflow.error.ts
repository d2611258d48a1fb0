import { HubDisconnectedError } from '@iotgw/domain';
import type { OutboxOverflowPolicy } from './mqtt-hub-transport.options.js';

/** The offline queue was full: `dropped` messages were lost in total under `policy`. */
export class OutboxOverflowError extends HubDisconnectedError {
  readonly policy: OutboxOverflowPolicy;
  readonly dropped: number;
  constructor(policy: OutboxOverflowPolicy, capacity: number, dropped: number) {
    super(
      `offline queue full (${capacity} messages, policy ${policy}); ${dropped} dropped so far: raise outbox.capacity or restore the hub connection`,
      { details: { policy, capacity, dropped } },
    );
    this.policy = policy;
    this.dropped = dropped;
  }
}
