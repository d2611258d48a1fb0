// The hostile side of the hub, in its own process: a client of the rig's broker that publishes
// generated garbage on every topic the gateway subscribes, as fast as the broker takes it.
import mqtt from 'mqtt';
import { hostileMessages, type HostileKind, type HostileTopicKind } from './hostile-payloads.js';
import { serveIpc } from './ipc.js';

export interface FloodRequest {
  readonly url: string;
  readonly count: number;
  readonly seed: number;
  /** The topics of each kind; messages of a kind go round-robin over its topics. */
  readonly topics: Readonly<Record<HostileTopicKind, readonly string[]>>;
}

export interface FloodStats {
  readonly sent: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly byKind: Partial<Record<HostileKind, number>>;
  readonly byTopicKind: Partial<Record<HostileTopicKind, number>>;
}

async function flood(request: FloodRequest): Promise<FloodStats> {
  const client = await mqtt.connectAsync(request.url, { protocolVersion: 4, clientId: `iotgw-chaos-flood-${process.pid}`, reconnectPeriod: 0 });
  const byKind: Partial<Record<HostileKind, number>> = {};
  const byTopicKind: Partial<Record<HostileTopicKind, number>> = {};
  const turn: Partial<Record<HostileTopicKind, number>> = {};
  let sent = 0;
  let bytes = 0;
  const started = Date.now();
  let inFlight: Promise<unknown>[] = [];
  for (const m of hostileMessages(request.count, request.seed)) {
    const topics = request.topics[m.topicKind];
    const n = turn[m.topicKind] ?? 0;
    turn[m.topicKind] = n + 1;
    const topic = topics[n % topics.length];
    if (topic === undefined) continue;
    // QoS 0: resolves once written to the socket, so awaiting batches is the backpressure.
    inFlight.push(client.publishAsync(topic, m.payload, { qos: 0 }));
    sent += 1;
    bytes += m.payload.length;
    byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
    byTopicKind[m.topicKind] = (byTopicKind[m.topicKind] ?? 0) + 1;
    if (inFlight.length >= 200 || m.payload.length > 1_000_000) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await client.endAsync();
  return { sent, bytes, durationMs: Date.now() - started, byKind, byTopicKind };
}

serveIpc({ flood: (request: FloodRequest) => flood(request) });
