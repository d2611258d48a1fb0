import { SubdeviceSessions } from '@iotgw/app';
import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import type { SubdeviceSimulator } from '@iotgw/simulators';
import type { DemoFlowContext } from './demo-flow-context.js';
import { waitFor } from './wait-for.js';

/**
 * The hub's device services reaching a simulated subdevice through the gateway: an RRPC call made
 * at the emulator (as the cloud API PublishRRPCMessage), a shadow desired change delivered as a
 * delta, and the console taking a subdevice from the gateway (`change`, acked as the vendor C SDK
 * does) and giving it back. Each is checked at both ends.
 */

const decoder = new TextDecoder();

/** RRPC: the request reaches the subdevice over its link; its answer comes back under the same process id. */
export async function rrpcToSubdevice(c: DemoFlowContext, subdevice: SubdeviceId, sim: SubdeviceSimulator): Promise<string> {
  const request = JSON.stringify({ cmd: 'status', at: Date.now() });
  const record = await c.hub().core.rrpc.call(subdeviceKey(subdevice), request);
  if (record.status !== 'answered') throw new Error(`the RRPC call ${record.processId} ${record.status === 'timeout' ? 'timed out at the emulator' : 'got no answer'}`);
  if (!sim.requests.some((r) => decoder.decode(r) === request)) throw new Error(`${subdevice.deviceName} never received the request ${request}`);
  // The simulator's default handler answers "ok:" + the request.
  const expected = `ok:${request}`;
  if (record.reply !== expected) throw new Error(`the reply was ${JSON.stringify(record.reply)}, not ${JSON.stringify(expected)}`);
  const replyTopic = `$rrpc/txd/${subdevice.productId}/${subdevice.deviceName}/${record.processId}`;
  if (!c.hub().core.messages.some((m) => m.direction === 'up' && m.topic === replyTopic)) throw new Error(`no reply on ${replyTopic}`);
  return `process id ${record.processId}: ${subdevice.deviceName} got ${request}, answered "ok:…" on ${replyTopic}`;
}

/** Shadow: desired set at the emulator reaches the subdevice as a delta. */
export async function shadowDeltaToSubdevice(c: DemoFlowContext, subdevice: SubdeviceId, sim: SubdeviceSimulator): Promise<string> {
  const desired = { led: 1, interval: 30 };
  const before = sim.shadowDeltas.length;
  const shadow = await c.hub().core.shadows.setDesired(subdeviceKey(subdevice), desired);
  await waitFor(`the delta at ${subdevice.deviceName}`, () => sim.shadowDeltas.length > before, { timeoutMs: c.timeoutMs, signal: c.signal });
  const delta = sim.shadowDeltas.at(-1);
  if (!delta || JSON.stringify(delta.state) !== JSON.stringify(desired)) throw new Error(`${subdevice.deviceName} got the delta ${JSON.stringify(delta?.state)}, not ${JSON.stringify(desired)}`);
  return `desired ${JSON.stringify(desired)} (shadow version ${shadow.version}) → ${subdevice.deviceName} received delta ${JSON.stringify(delta.state)}`;
}

/**
 * The console unbinds the subdevice: `change` status 0 reaches the gateway, which applies it and
 * acks it as the C SDK does; the console binds it back (`change` status 1, acked) and the gateway
 * brings the attached subdevice online again.
 */
export async function consoleUnbindAcked(c: DemoFlowContext, subdevice: SubdeviceId): Promise<string> {
  const hub = c.hub();
  const gateway = subdeviceKey(c.gatewayId);
  const sub = subdeviceKey(subdevice);
  const acked = (status: 0 | 1, from: number) => (): boolean =>
    hub.core.topology.acks.items.slice(from).some((a) => a.type === 'change' && a.status === status && a.devices?.some((d) => d.subdevice === sub && d.result === 0));
  const from = hub.core.topology.acks.items.length;
  if (!(await hub.core.consoleUnbind({ gateway, subdevice: sub }))) throw new Error(`${sub} was not bound to ${gateway} at the emulator`);
  await waitFor(`the gateway's ack of change status 0 for ${sub}`, acked(0, from), { timeoutMs: c.timeoutMs, signal: c.signal });
  const state = c.gateway().container.resolve(SubdeviceSessions).stateOf(subdevice);
  if (state !== 'unbound') throw new Error(`the gateway has ${sub} ${state} after the console unbound it`);
  const back = hub.core.topology.acks.items.length;
  await hub.core.consoleBind({ gateway, subdevice: sub });
  await waitFor(`the gateway's ack of change status 1 for ${sub}`, acked(1, back), { timeoutMs: c.timeoutMs, signal: c.signal });
  await waitFor(`${sub} online again at the emulator`, () => hub.isOnline(subdevice.productId, subdevice.deviceName), { timeoutMs: c.timeoutMs, signal: c.signal });
  return `change status 0 → ${subdevice.deviceName} unbound at the gateway, acked {"status":0,…"result":0}; bound again (change 1, acked) → online`;
}
