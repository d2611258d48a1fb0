// A bystander of the rig's broker, in its own process: it publishes a pulse to itself every
// PULSE_MS and measures how long the broker keeps it waiting. While the broker relays one huge
// message it serves no one else (mosquitto reads and writes a packet whole before it turns to
// another client), and that stall is the broker's, not the gateway's: the hostile-hub check
// allows the readings what the bystander measured, on top of its own bound.
import mqtt from 'mqtt';
import { serveIpc } from './ipc.js';

export const PULSE_MS = 50;

export interface PulseStats {
  readonly pulses: number;
  /** Longest time between two pulses coming back. */
  readonly longestGapMs: number;
  /** Longest time a pulse took to come back. */
  readonly maxLatencyMs: number;
}

const topic = `iotgw-chaos/pulse/${process.pid}`;
let client: mqtt.MqttClient | undefined;
let timer: NodeJS.Timeout | undefined;
let pulses = 0;
let last = 0;
let longestGapMs = 0;
let maxLatencyMs = 0;

serveIpc({
  start: async (args: { url: string }) => {
    client = await mqtt.connectAsync(args.url, { protocolVersion: 4, clientId: `iotgw-chaos-pulse-${process.pid}`, reconnectPeriod: 0 });
    client.on('message', (_topic, payload) => {
      const now = Date.now();
      pulses++;
      if (last > 0) longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      maxLatencyMs = Math.max(maxLatencyMs, now - Number(payload.toString()));
    });
    await client.subscribeAsync(topic, { qos: 0 });
    timer = setInterval(() => client?.publish(topic, String(Date.now()), { qos: 0 }), PULSE_MS);
    return {};
  },
  stop: async (): Promise<PulseStats> => {
    clearInterval(timer);
    await client?.endAsync(true);
    return { pulses, longestGapMs, maxLatencyMs };
  },
});
