/** Receives every publish a device made that passed the ACL. */
export type HubMessageHandler = (topic: string, payload: Buffer) => void;

/**
 * What the hub logic needs from MQTT: see devices' publishes, publish to devices. Implemented by
 * the embedded aedes broker and by a client of an external broker, so the logic is the same.
 */
export interface HubBus {
  onMessage(handler: HubMessageHandler): void;
  publish(topic: string, payload: string, qos: 0 | 1): Promise<void>;
  close(): Promise<void>;
}
