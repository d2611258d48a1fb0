import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { TlsCredentials } from './self-signed-certificate.js';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { verifyKeyAuth } from '@iotgw/protocol-tencent';
import { subdeviceKey, type Logger } from '@iotgw/domain';
import type { DeviceRegistry, RegisteredDevice } from './device-registry.js';
import { checkTopicAcl, type AclAction } from './topic-acl.js';
import type { HubBus, HubMessageHandler } from './hub-bus.js';
import { listen } from './listen.js';
import { DEFAULT_MAX_PACKET_BYTES, watchPacketSize } from './mqtt-packet-size.js';

// MQTT 3.1.1 CONNACK return codes the hub uses to refuse a connection.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export interface AclDenial {
  at: number;
  device: string;
  action: AclAction;
  topic: string;
  reason: string;
}

/** A connection closed because it sent a packet over the size limit. */
export interface OversizePacket {
  at: number;
  /** `PID/name` once the connection authenticated, else the client id it tried, else its address. */
  device: string;
  /** Size the packet announced (remaining length, bytes; a lower bound when it is huge). */
  bytes: number;
  limit: number;
}

export interface EmbeddedBrokerEvents {
  onDeviceConnected(device: string, clientId: string): void;
  onDeviceDisconnected(device: string, clientId: string): void;
  onDenied(denial: AclDenial): void;
  onAuthFailed(clientId: string, reason: string): void;
  onOversize(packet: OversizePacket): void;
}

function authError(returnCode: number, message: string): AuthenticateError {
  const error = new Error(message) as AuthenticateError;
  error.returnCode = returnCode;
  return error;
}

/** The client id is `productId + deviceName`; product ids are exactly 10 characters. */
function deviceForClientId(registry: DeviceRegistry, clientId: string): RegisteredDevice | undefined {
  return registry.get(clientId.slice(0, 10), clientId.slice(10));
}

/**
 * An aedes broker on TCP that checks key-auth CONNECTs against the registry and enforces the
 * hub's topic ACL. The hub logic sees every accepted publish through the HubBus interface.
 */
export class EmbeddedBroker implements HubBus {
  // Keyed by the connection, not the client id: a reconnect with the same id (the old session is
  // kicked) must not lose the new connection's identity when the old one's disconnect arrives.
  private readonly clientDevice = new Map<Client, string>();
  private readonly handlers: HubMessageHandler[] = [];
  /** Messages not delivered because the receiver lost the right to the topic after subscribing. */
  droppedDeliveries = 0;

  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
    private readonly tlsServer: Server | undefined,
    private readonly wsListener: { http: Server; wss: WebSocketServer } | undefined,
  ) {}

  static async start(options: {
    port: number;
    host: string;
    registry: DeviceRegistry;
    logger: Logger;
    events: EmbeddedBrokerEvents;
    /** Also listen with TLS (MQTT over TLS, like the hub's 8883) on this port. */
    tls?: { port: number; credentials: TlsCredentials };
    /** Also listen for MQTT over websocket (`ws://host:port/mqtt`, as browsers and mqtt.js use) on this port. */
    ws?: { port: number };
    /** Largest packet a connection may send (remaining length); a bigger one closes it. Default 1 MiB. */
    maxPacketBytes?: number;
  }): Promise<EmbeddedBroker> {
    const { registry, logger, events } = options;
    const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    // The aedes hooks need the instance, which exists only once the server listens.
    const ref: { self?: EmbeddedBroker } = {};
    const broker = await Aedes.createBroker({
      authenticate(client, username, password, done) {
        const clientId = client.id;
        const device = deviceForClientId(registry, clientId);
        if (!device) {
          events.onAuthFailed(clientId, 'unknown device');
          done(authError(NOT_AUTHORIZED, 'unknown device'), false);
          return;
        }
        if (username === undefined || password === undefined) {
          events.onAuthFailed(clientId, 'missing username or password');
          done(authError(BAD_USERNAME_OR_PASSWORD, 'missing credentials'), false);
          return;
        }
        // Lenient expiry, like the hub: seconds or milliseconds, past or future, all accepted.
        const verdict = verifyKeyAuth({ clientId, username, password, deviceSecret: device.deviceSecret });
        if (!verdict.ok) {
          events.onAuthFailed(clientId, verdict.reason);
          done(authError(BAD_USERNAME_OR_PASSWORD, verdict.reason), false);
          return;
        }
        ref.self?.clientDevice.set(client, subdeviceKey(device));
        done(null, true);
      },
      authorizePublish(client, packet, callback) {
        if (!client) {
          callback(null);
          return;
        }
        const device = ref.self?.clientDevice.get(client) ?? '';
        const decision = checkTopicAcl(registry, device, 'publish', packet.topic);
        if (decision.allowed) {
          // The hub takes the message here, before aedes acknowledges it: for QoS 1 aedes writes
          // the PUBACK first and publishes a turn of the event loop later, so a hub killed in
          // between would have acknowledged a message it never took (the 'publish' event is too late).
          if (ref.self) for (const handler of ref.self.handlers) handler(packet.topic, Buffer.from(packet.payload));
          callback(null);
          return;
        }
        events.onDenied({ at: Date.now(), device, action: 'publish', topic: packet.topic, reason: decision.reason });
        // Like the hub: a publish to a forbidden topic closes the connection.
        callback(new Error(`publish to ${packet.topic} denied: ${decision.reason}`));
      },
      authorizeForward(client, packet) {
        // A subscription granted while a subdevice was online must not keep delivering after it
        // went offline or was unbound: re-check the ACL at delivery time.
        if (packet.topic.startsWith('$SYS')) return packet;
        const device = ref.self?.clientDevice.get(client) ?? '';
        if (checkTopicAcl(registry, device, 'subscribe', packet.topic).allowed) return packet;
        if (ref.self) ref.self.droppedDeliveries += 1;
        return null;
      },
      authorizeSubscribe(client, subscription, callback) {
        const device = ref.self?.clientDevice.get(client) ?? '';
        const decision = checkTopicAcl(registry, device, 'subscribe', subscription.topic);
        if (decision.allowed) {
          callback(null, subscription);
          return;
        }
        events.onDenied({ at: Date.now(), device, action: 'subscribe', topic: subscription.topic, reason: decision.reason });
        // A null subscription makes aedes grant 0x80 (failure) for this topic only.
        callback(null, null);
      },
    });
    broker.on('client', (client: Client) => {
      const device = ref.self?.clientDevice.get(client);
      if (device) events.onDeviceConnected(device, client.id);
    });
    broker.on('clientDisconnect', (client: Client) => {
      const device = ref.self?.clientDevice.get(client);
      if (!device) return;
      ref.self?.clientDevice.delete(client);
      // Another live connection of the same device (a takeover) keeps it online.
      if ([...(ref.self?.clientDevice.values() ?? [])].includes(device)) return;
      events.onDeviceDisconnected(device, client.id);
    });
    broker.on('clientError', (client: Client, error: Error) => {
      logger.debug('mqtt client error', { clientId: client.id, error: error.message });
    });
    // Every connection, whatever carries it, is handed to aedes and then watched for packets over
    // the limit: aedes itself would buffer a packet of any size (up to MQTT's 256 MB) in memory.
    // Over websocket both our meter and ws itself may notice the same packet: count it once.
    const reported = new WeakSet<Duplex>();
    const oversize = (stream: Duplex, address: string | undefined, bytes: number): void => {
      if (reported.has(stream)) return;
      reported.add(stream);
      const client = [...(ref.self?.clientDevice.keys() ?? [])].find((c) => c.conn === stream);
      const device = (client && ref.self?.clientDevice.get(client)) ?? address ?? 'unknown';
      events.onOversize({ at: Date.now(), device, bytes, limit: maxPacketBytes });
    };
    const handle = (stream: Duplex, address: string | undefined): void => {
      broker.handle(stream);
      watchPacketSize(stream, maxPacketBytes, (bytes) => oversize(stream, address, bytes));
    };
    const server = createServer((socket) => handle(socket, socket.remoteAddress));
    const tlsServer = options.tls ? createTlsServer({ cert: options.tls.credentials.cert, key: options.tls.credentials.key }, (socket) => handle(socket, socket.remoteAddress)) : undefined;
    const wsListener = options.ws ? webSocketListener(handle, oversize, maxPacketBytes) : undefined;
    try {
      await listen(server, options.port, options.host);
      if (tlsServer && options.tls) await listen(tlsServer, options.tls.port, options.host);
      if (wsListener && options.ws) await listen(wsListener.http, options.ws.port, options.host);
    } catch (error) {
      server.close();
      tlsServer?.close();
      wsListener?.wss.close();
      wsListener?.http.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw error;
    }
    ref.self = new EmbeddedBroker(broker, server, tlsServer, wsListener);
    return ref.self;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Port of the TLS listener, when there is one. */
  get tlsPort(): number | undefined {
    const address = this.tlsServer?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  /** Port of the websocket listener, when there is one. */
  get wsPort(): number | undefined {
    const address = this.wsListener?.http.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  onMessage(handler: HubMessageHandler): void {
    this.handlers.push(handler);
  }

  async publish(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    this.wsListener?.wss.close();
    const closed = [this.server, this.tlsServer, this.wsListener?.http].map((s) => (s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve()));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await Promise.all(closed);
  }
}

/** MQTT over websocket: each connection on `/mqtt` becomes a stream aedes handles like a TCP socket. */
function webSocketListener(
  handle: (stream: Duplex, address: string | undefined) => void,
  oversize: (stream: Duplex, address: string | undefined, bytes: number) => void,
  maxPacketBytes: number,
): { http: Server; wss: WebSocketServer } {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over websocket: connect to /mqtt\n');
  });
  // ws buffers a whole websocket message before handing it on (100 MiB by default): cap it at the
  // largest MQTT packet plus its fixed header (1 + 4 bytes), so the limit holds here too.
  const maxPayload = maxPacketBytes + 5;
  const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload });
  wss.on('connection', (socket, req) => {
    const stream = createWebSocketStream(socket);
    // ws closes such a connection itself (1009) and says so here; the size is only known to be over.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') oversize(stream, req.socket.remoteAddress, maxPayload + 1);
    });
    handle(stream, req.socket.remoteAddress);
  });
  return { http, wss };
}
