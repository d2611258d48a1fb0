import 'reflect-metadata';
import test from 'ava';
import { SubdeviceSessions } from '@iotgw/app';
import { subdeviceKey } from '@iotgw/domain';
import { encodeTopologyAck, gatewayOperationTopic } from '@iotgw/protocol-tencent';
import type { TopologyAckRecord } from '@iotgw/hub-emulator';
import { waitFor } from '../src/demo/wait-for.js';
import { GATEWAY, SENSOR1, SENSOR2, startRig } from './helpers/rig.js';

// Topology pushed by the console, end to end: emulator ⇄ MQTT ⇄ gateway ⇄ serial link over a
// real socat pty ⇄ simulated subdevices. The gateway answers each push as the vendor C SDK does.

const gw = subdeviceKey(GATEWAY);
const s1 = subdeviceKey(SENSOR1);

test.serial('console unbind, bind, search and unbind all reach the gateway, are applied, and are acked with the C SDK bytes', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  const gateway = await rig.startGateway();
  const sessions = gateway.container.resolve(SubdeviceSessions);
  for (const sub of rig.bench.subdevices) sub.powerOn();
  await waitFor('both sensors online at the gateway', () => sessions.stateOf(SENSOR1) === 'online' && sessions.stateOf(SENSOR2) === 'online', { timeoutMs: 20_000 });
  const acks: TopologyAckRecord[] = [];
  rig.hub.core.on('topologyAck', (a) => acks.push(a));
  const ackTopic = gatewayOperationTopic(GATEWAY);
  const upOnAckTopic = (): string[] => rig.hub.core.messages.filter((m) => m.direction === 'up' && m.topic === ackTopic).map((m) => m.payload);

  // Console unbind: change status 0 → sensor1 unbound here, acked with every device result 0.
  t.true(await rig.hub.core.consoleUnbind({ gateway: gw, subdevice: s1 }));
  await waitFor('the change ack', () => acks.length === 1, { timeoutMs: 30_000 });
  t.like(acks[0], { gateway: gw, type: 'change', status: 0, devices: [{ subdevice: s1, result: 0 }] });
  t.is(sessions.stateOf(SENSOR1), 'unbound');
  t.true(upOnAckTopic().includes(encodeTopologyAck({ type: 'change', status: 0, devices: [{ subdevice: SENSOR1, result: 0 }] })), 'byte for byte the SDK form');

  // Console bind: change status 1 → acked, and the attached, declared sensor1 goes online again.
  t.true(await rig.hub.core.consoleBind({ gateway: gw, subdevice: s1 }));
  await waitFor('the bind ack', () => acks.length === 2, { timeoutMs: 30_000 });
  t.like(acks[1], { type: 'change', status: 1, devices: [{ subdevice: s1, result: 0 }] });
  await waitFor('sensor1 online again', () => rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName) && sessions.stateOf(SENSOR1) === 'online', { timeoutMs: 20_000 });

  // Search start and stop: acked with their status.
  await rig.hub.core.topology.searchDevices(gw, 1);
  await rig.hub.core.topology.searchDevices(gw, 0);
  await waitFor('the search acks', () => acks.length === 4, { timeoutMs: 30_000 });
  t.like(acks[2], { type: 'search_devices', status: 1, result: 0 });
  t.like(acks[3], { type: 'search_devices', status: 0, result: 0 });
  t.true(upOnAckTopic().includes('{"type":"search_devices", "payload":{"status":1, "result":0}}'));

  // Unbind all: every subdevice unbound here, none brought back online; acked with result 0.
  t.deepEqual((await rig.hub.core.topology.unbindAll(gw)).sort(), [s1, subdeviceKey(SENSOR2)]);
  await waitFor('the unbind_all ack', () => acks.length === 5, { timeoutMs: 30_000 });
  t.like(acks[4], { type: 'unbind_all', result: 0 });
  t.true(upOnAckTopic().includes('{"type":"unbind_all", "payload":{"result":0}}'));
  t.is(sessions.stateOf(SENSOR1), 'unbound');
  t.is(sessions.stateOf(SENSOR2), 'unbound');
  t.deepEqual(gateway.service.presence.wanted(), []);
  // Nothing the gateway sent was a malformed request to the hub.
  t.is(rig.hub.core.protocolErrors, 0);
});
