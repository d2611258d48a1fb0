import test from 'ava';
import { connect as connectTcp } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { buildKeyAuth, gatewayOperationTopic } from '@iotgw/protocol-tencent';
import type { LogContext, Logger } from '@iotgw/domain';
import { connectDevice, connectGateway, GW, startHub, sub, SUB1 } from './helpers.js';

/** Resolves when the client's connection is gone (or rejects after a generous deadline). */
function closed(client: MqttClient, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('connection still open')), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function capturingLogger(lines: string[]): Logger {
  const log = (level: string) => (message: string, context?: LogContext) => lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

test('a packet over the default 1 MiB limit closes that connection; the hub never takes it and keeps serving others', async (t) => {
  const lines: string[] = [];
  const fx = await startHub(undefined, { logger: capturingLogger(lines) });
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    gw.client.on('error', () => undefined);
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    gw.client.publish('SB00000001/test1/data', big, { qos: 0 });
    await closed(gw.client);
    t.is(fx.hub.stats.oversizePackets, 1);
    t.like(fx.hub.oversizePackets[0], { device: 'GW00000001/gw1', limit: 1024 * 1024 });
    t.true(fx.hub.oversizePackets[0]!.bytes > 1024 * 1024);
    t.false(fx.hub.core.messages.some((m) => m.size >= big.length), 'the hub never recorded it');
    t.true(lines.some((l) => l.startsWith('warn MQTT packet over the size limit') && l.includes('GW00000001/gw1')), lines.join('\n'));
    t.true(fx.hub.refusals().some((r) => r.kind === 'oversize' && /over the 1048576-byte limit/.test(r.reason)));
    // The hub is fine: the gateway reconnects and is answered.
    const again = await connectGateway(fx);
    const reply = await again.request({ type: 'online', devices: [sub(SUB1)] });
    t.is(reply.payload.devices[0].result, 0);
  } finally {
    await fx.cleanup();
  }
});

test('maxPacketBytes is configurable: a packet under it passes, one over it closes the connection', async (t) => {
  const fx = await startHub(undefined, { maxPacketBytes: 1000 });
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    await gw.client.publishAsync('SB00000001/test1/data', JSON.stringify({ pad: 'x'.repeat(900) }), { qos: 1 });
    t.true(fx.hub.core.messages.some((m) => m.topic === 'SB00000001/test1/data'));
    gw.client.on('error', () => undefined);
    gw.client.publish('SB00000001/test1/data', 'y'.repeat(2000), { qos: 0 });
    await closed(gw.client);
    t.is(fx.hub.stats.oversizePackets, 1);
  } finally {
    await fx.cleanup();
  }
});

test('a CONNECT announcing 200 MB is closed at its length bytes, before the body is sent', async (t) => {
  const fx = await startHub();
  try {
    const port = Number(new URL(fx.hub.urls.mqtt).port);
    const socket = connectTcp(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // CONNECT (0x10), remaining length 200 MB as a 4-byte varint, then a few bytes of body only.
    let length = 200 * 1024 * 1024;
    const varint: number[] = [];
    do {
      let byte = length % 128;
      length = Math.floor(length / 128);
      if (length > 0) byte |= 0x80;
      varint.push(byte);
    } while (length > 0);
    socket.write(Buffer.from([0x10, ...varint, 0, 4, 0x4d, 0x51, 0x54, 0x54]));
    await gone;
    t.is(fx.hub.stats.oversizePackets, 1);
    t.regex(fx.hub.oversizePackets[0]!.device, /127\.0\.0\.1/);
  } finally {
    await fx.cleanup();
  }
});

test('over websocket the same limit holds', async (t) => {
  const fx = await startHub(undefined, { wsPort: 0, maxPacketBytes: 4096 });
  try {
    const creds = buildKeyAuth(GW);
    const client = await mqtt.connectAsync(fx.hub.urls.ws ?? '', { clientId: creds.clientId, username: creds.username, password: creds.password, protocolVersion: 4, reconnectPeriod: 0 });
    fx.clients.push(client);
    client.on('error', () => undefined);
    client.publish(gatewayOperationTopic(GW), 'z'.repeat(64 * 1024), { qos: 0 });
    await closed(client);
    t.is(fx.hub.stats.oversizePackets, 1);
    t.is(fx.hub.oversizePackets[0]?.device, 'GW00000001/gw1');
    t.false(fx.hub.core.messages.some((m) => m.size >= 64 * 1024));
  } finally {
    await fx.cleanup();
  }
});

test('refusal lists keep the newest refusalHistory entries and count them all', async (t) => {
  const fx = await startHub(undefined, { refusalHistory: 5 });
  try {
    for (let i = 0; i < 8; i += 1) {
      await t.throwsAsync(connectDevice(fx, GW, { password: `bad${i};hmacsha1` }));
    }
    t.is(fx.hub.authFailures.length, 5);
    t.is(fx.hub.stats.authFailures, 8);
    const gw = await connectGateway(fx);
    for (let i = 0; i < 7; i += 1) await gw.client.publishAsync(gatewayOperationTopic(GW), `not json ${i}`, { qos: 1 });
    // Malformed operations get no answer (unknown type): wait until all are counted.
    const deadline = Date.now() + 20_000;
    while (fx.hub.stats.protocolErrors < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.is(fx.hub.stats.protocolErrors, 7);
    t.is(fx.hub.core.malformed.items.length, 5);
    t.is(fx.hub.refusals().filter((r) => r.kind === 'malformed').length, 5);
    t.is(fx.hub.refusals().filter((r) => r.kind === 'auth').length, 5);
  } finally {
    await fx.cleanup();
  }
});
