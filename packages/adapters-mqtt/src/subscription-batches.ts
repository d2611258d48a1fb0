import type { MqttClient } from 'mqtt';

/**
 * Topics per SUBSCRIBE or UNSUBSCRIBE packet. A subdevice is followed on ~5 topics of ~40 bytes:
 * 10,000 subdevices online at once would otherwise be one 2 MB packet, past the 1 MB many brokers
 * (and our hub emulator) accept, and a memory spike the gateway keeps as reserved heap afterwards.
 * 200 topics is a packet of ~8 KB.
 */
export const TOPICS_PER_PACKET = 200;
/** Packets awaiting their SUBACK at once: hides a WAN round trip, keeps the buffers small. */
export const PACKETS_IN_FLIGHT = 4;

/** Subscribes `topics` in packets of at most TOPICS_PER_PACKET, PACKETS_IN_FLIGHT at a time. */
export async function subscribeInBatches(client: MqttClient, topics: Iterable<readonly [string, 0 | 1]>): Promise<void> {
  const packets = chunks([...topics], TOPICS_PER_PACKET).map((chunk) => Object.fromEntries(chunk.map(([topic, qos]) => [topic, { qos }])));
  await inFlight(packets, (packet) => client.subscribeAsync(packet));
}

/** Unsubscribes `topics` in packets of at most TOPICS_PER_PACKET, PACKETS_IN_FLIGHT at a time. */
export async function unsubscribeInBatches(client: MqttClient, topics: readonly string[]): Promise<void> {
  await inFlight(chunks(topics, TOPICS_PER_PACKET), (packet) => client.unsubscribeAsync(packet));
}

async function inFlight<T>(items: readonly T[], send: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await send(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PACKETS_IN_FLIGHT, items.length) }, worker));
}

/** `items` in consecutive pieces of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
