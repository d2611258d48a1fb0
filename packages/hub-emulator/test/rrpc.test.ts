import test from 'ava';
import type { HubEmulator } from '../src/index.js';
import { connectGateway, startHub, sub, SUB1, subscribeCodes } from './helpers.js';

async function post(hub: HubEmulator, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${hub.urls.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.adminToken}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('RRPC: the gateway subscribes $rrpc/rxd/{pid}/{dev}/+ of an online subdevice, answers on txd, the admin API returns the reply', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const gw = await connectGateway(fx);
  t.deepEqual(await subscribeCodes(gw.client, ['$rrpc/rxd/SB00000001/test1/+']), [128], 'offline subdevice: refused like its data topic');
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  t.deepEqual(await subscribeCodes(gw.client, ['$rrpc/rxd/SB00000001/test1/+', '$rrpc/rxd/SB00000001/+/+']), [0, 128], 'only the exact device filter');
  gw.client.on('message', (topic, payload) => {
    const processId = topic.split('/').at(-1)!;
    if (topic.startsWith('$rrpc/rxd/')) gw.client.publish(`$rrpc/txd/SB00000001/test1/${processId}`, `re:${payload.toString()}`, { qos: 0 });
  });
  const { status, json } = await post(fx.hub, '/api/rrpc', { device: 'SB00000001/test1', payload: 'closed' });
  t.is(status, 200);
  t.like(json['rrpc'], { status: 'answered', reply: 're:closed', replyBase64: Buffer.from('re:closed').toString('base64'), request: 'closed' });
  t.is(fx.hub.core.rrpc.lateReplies, 0);
  t.is(fx.hub.stats.aclDenials, 2);
});

test('RRPC: no reply within the timeout → 504 timeout; a reply after it counts as late; offline devices are refused', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const gw = await connectGateway(fx);
  t.is((await post(fx.hub, '/api/rrpc', { device: 'SB00000001/test1', payload: 'x' })).status, 400, 'offline');
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  await gw.client.subscribeAsync('$rrpc/rxd/SB00000001/test1/+', { qos: 0 });
  const seen: string[] = [];
  gw.client.on('message', (topic) => seen.push(topic));
  const { status, json } = await post(fx.hub, '/api/rrpc', { device: 'SB00000001/test1', payload: 'x', timeoutMs: 200 });
  t.is(status, 504);
  t.like(json['rrpc'], { status: 'timeout' });
  const processId = (json['rrpc'] as { processId: string }).processId;
  t.deepEqual(seen, [`$rrpc/rxd/SB00000001/test1/${processId}`]);
  await gw.client.publishAsync(`$rrpc/txd/SB00000001/test1/${processId}`, 'too late', { qos: 1 });
  const deadline = Date.now() + 5000;
  while (fx.hub.core.rrpc.lateReplies === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.is(fx.hub.core.rrpc.lateReplies, 1);
});
