import test from 'ava';
import { encodeTopologyAck, gatewayOperationResultTopic, gatewayOperationTopic } from '@iotgw/protocol-tencent';
import { openConsole } from './browser.js';
import { connectGateway, GW, startHub, sub, SUB1 } from './helpers.js';

test('console: "Unbind all" and "Start search" reach the gateway; its acks are listed as they come', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const gw = await connectGateway(fx);
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  // The gateway side answers as the C SDK does.
  gw.client.on('message', (topic, payload) => {
    if (topic !== gatewayOperationResultTopic(GW)) return;
    const m = JSON.parse(payload.toString()) as { type: string; payload?: { status?: number } };
    if (m.type === 'unbind_all') void gw.client.publishAsync(gatewayOperationTopic(GW), encodeTopologyAck({ type: 'unbind_all', result: 0 }));
    if (m.type === 'search_devices') void gw.client.publishAsync(gatewayOperationTopic(GW), encodeTopologyAck({ type: 'search_devices', status: m.payload?.status ?? 0, result: 0 }));
  });
  const opened = await openConsole(t, fx.hub.urls.console);
  if (!opened) return t.pass();
  const { page, pageErrors } = opened;
  await page.locator('#topology-gw option[value="GW00000001/gw1"]').waitFor({ state: 'attached' });
  await page.selectOption('#topology-gw', 'GW00000001/gw1');
  await page.click('#search-start-btn');
  await page.locator('.topology-ack', { hasText: 'search_devices' }).waitFor();
  await page.click('#unbind-all-btn');
  await page.locator('.topology-ack', { hasText: 'unbind_all' }).waitFor();
  t.deepEqual(fx.hub.registry.subdevicesOf('GW00000001/gw1'), []);
  await page.locator('#bindings tbody tr').first().waitFor({ state: 'detached' });
  t.deepEqual(pageErrors, []);
});
