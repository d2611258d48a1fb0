import { isGatewayError, type GatewayIdentity, type Logger, type StateStore } from '@iotgw/domain';
import type { OfflineStore } from '@iotgw/offline-store';
import { UNGATED } from './uplink-sender.js';

/**
 * Where the QoS 1 outbox of versions before the offline store lived: one StateStore document,
 * `mqtt/outbox/{gwPid}/{gwDev}` (lower case), a list of `{ topic, payload: base64 }`.
 */
export interface LegacyOutboxOptions {
  readonly store: StateStore;
  /** Default `mqtt/outbox/{productId}/{deviceName}`, lower case, as those versions wrote it. */
  readonly key?: string;
}

/** The sender's key for a held message's topic: data topics wait for their subdevice's online. */
function senderKeyOf(topic: string): string | undefined {
  const ota = /^\$ota\/report\/([^/]+)\/([^/]+)$/.exec(topic);
  if (ota) return `${UNGATED}ota/${ota[1]}/${ota[2]}`;
  const data = /^([^$/][^/]*)\/([^/]+)\/[a-z][a-z0-9_]*$/.exec(topic);
  return data ? `${data[1]}/${data[2]}` : undefined;
}

/**
 * Moves what an older version left in its outbox into the offline store, once, at the first open:
 * appended in the old order ahead of anything new, written and fsynced, and only then deleted from
 * the StateStore (a crash in between sends them twice at worst, never loses them). Never rejects:
 * a document that cannot be read is left in place with a warning naming it.
 */
export async function migrateLegacyOutbox(legacy: LegacyOutboxOptions, gateway: GatewayIdentity, store: OfflineStore, log: Logger): Promise<void> {
  const key = legacy.key ?? `mqtt/outbox/${gateway.productId}/${gateway.deviceName}`.toLowerCase();
  let stored: unknown;
  try {
    stored = await legacy.store.get(key);
  } catch (error) {
    const reason = isGatewayError(error) ? error.message : (error as Error).message;
    log.warn(`the outbox of an older version (state key ${key}) cannot be read; it is left in place and not sent: ${reason}`, { key });
    return;
  }
  if (stored === undefined) return;
  if (!Array.isArray(stored)) {
    log.warn(`the outbox of an older version (state key ${key}) is not a list; it is left in place and not sent`, { key });
    return;
  }
  let moved = 0;
  let skipped = 0;
  for (const item of stored as unknown[]) {
    const topic = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['topic'] : undefined;
    const payload = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['payload'] : undefined;
    const senderKey = typeof topic === 'string' ? senderKeyOf(topic) : undefined;
    if (typeof topic !== 'string' || typeof payload !== 'string' || !senderKey) {
      skipped++;
      continue;
    }
    if (store.append(senderKey, topic, new Uint8Array(Buffer.from(payload, 'base64'))) === undefined) skipped++;
    else moved++;
  }
  // On disk before the old copy goes. A disk refusing writes keeps the old copy for the next
  // start (sent twice at worst) instead of holding up the gateway's uplink until it recovers.
  await store.durable();
  if (store.stats().degraded) {
    log.warn(`the outbox of an older version (state key ${key}) was taken over but not yet written to disk; the old copy stays until a start where it is`, { key });
    return;
  }
  try {
    await legacy.store.delete(key);
  } catch (error) {
    log.warn(`the outbox of an older version (state key ${key}) was moved but could not be deleted; the next start moves it again (sent twice at worst): ${(error as Error).message}`, { key });
    return;
  }
  log.info(`moved ${moved} held messages from the outbox of an older version into the offline store`, { key, moved, ...(skipped > 0 ? { skipped } : {}) });
}
