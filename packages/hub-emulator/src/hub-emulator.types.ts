import type { Logger } from '@iotgw/domain';

export interface HubEmulatorOptions {
  /** MQTT port of the embedded broker; 0 picks a free port. Default 1883. */
  mqttPort?: number;
  /** HTTP port (firmware, admin API, console); 0 picks a free port. Default 8080. */
  httpPort?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Registry JSON file: loaded at start, rewritten atomically on every change. In memory when omitted. */
  registryPath?: string;
  /** Also offer MQTT over TLS on this port (0 = free port) with a self-signed certificate made at start. */
  tlsPort?: number;
  /** Also offer MQTT over websocket on this port (0 = free port), at `ws://host:port/mqtt`. */
  wsPort?: number;
  /** `mqtt://host:port`: run the hub logic as a client of this broker instead of embedding one. */
  brokerUrl?: string;
  logger?: Logger;
  /** Allowed distance of a bind timestamp from now, seconds. Default 600. */
  bindTimestampWindowSec?: number;
  /**
   * Token the admin API and console require (16..128 URL-safe characters). Default: a random one
   * made at start, in `hub.adminToken` and in `hub.urls.console`.
   */
  adminToken?: string;
  /** The only directory the admin API may register firmware files from by path. Default: none (uploads only). */
  firmwareDir?: string;
  /** Largest firmware upload over the admin API, bytes. Default 256 MiB. */
  maxFirmwareBytes?: number;
  /** Largest MQTT packet a device may send (bytes after the fixed header); bigger closes its connection. Default 1 MiB. */
  maxPacketBytes?: number;
  /** How many of each kind of refusal (auth, ACL, malformed, oversize) are kept; all are counted. Default 1000. */
  refusalHistory?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface HubEmulatorUrls {
  mqtt: string;
  /** `mqtts://…` when `tlsPort` was given. */
  mqtts?: string;
  /** `ws://…/mqtt` when `wsPort` was given. */
  ws?: string;
  http: string;
  /** The web console, with the admin token: `http://host:port/?token=…` (treat it as a password). */
  console: string;
}

/** Counts since start (the lists keep only the newest `refusalHistory` of each). */
export interface HubEmulatorStats {
  aclDenials: number;
  authFailures: number;
  protocolErrors: number;
  oversizePackets: number;
}

export interface AuthFailure {
  at: number;
  clientId: string;
  reason: string;
}

/** One refusal as the console lists it. */
export interface HubRefusal {
  at: number;
  kind: 'auth' | 'acl' | 'malformed' | 'oversize';
  /** `PID/name`, or the client id / address that tried. */
  device: string;
  topic?: string;
  reason: string;
}
