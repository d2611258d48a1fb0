import test from 'ava';
import { openConsole } from './browser.js';
import { connectGateway, startHub, sub, SUB1 } from './helpers.js';

test('console: send an RRPC and see the reply, then one that times out; set desired shadow state (delta to the device); broadcast; hub time', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const gw = await connectGateway(fx);
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  await gw.client.subscribeAsync(['$rrpc/rxd/SB00000001/test1/+', '$shadow/operation/result/SB00000001/test1', '$broadcast/rxd/SB00000001/test1'], { qos: 0 });
  const seen: Array<[string, string]> = [];
  gw.client.on('message', (topic, payload) => seen.push([topic, payload.toString()]));
  let answer = true;
  gw.client.on('message', (topic, payload) => {
    if (!topic.startsWith('$rrpc/rxd/') || !answer) return;
    gw.client.publish(`$rrpc/txd/SB00000001/test1/${topic.split('/').at(-1)!}`, `re:${payload.toString()}`, { qos: 0 });
  });
  const opened = await openConsole(t, fx.hub.urls.console);
  if (!opened) return t.pass();
  const { page, pageErrors } = opened;
  await page.locator('#rrpc-device option[value="SB00000001/test1"]').waitFor({ state: 'attached' });
  await page.selectOption('#rrpc-device', 'SB00000001/test1');
  await page.fill('#rrpc-payload', 'closed');
  await page.click('#rrpc-btn');
  await page.locator('.rrpc-call.answered .rrpc-reply', { hasText: 're:closed' }).waitFor();
  answer = false;
  await page.fill('#rrpc-timeout', '300');
  await page.click('#rrpc-btn');
  await page.locator('.rrpc-call.timeout .rrpc-status', { hasText: 'timeout' }).waitFor();

  await page.selectOption('#shadow-device', 'SB00000001/test1');
  await page.fill('#shadow-desired', '{"led":1}');
  await page.click('#shadow-btn');
  await page.locator('#shadows tr[data-device="SB00000001/test1"] .shadow-delta', { hasText: '{"led":1}' }).waitFor();
  const deadline = Date.now() + 5000;
  while (!seen.some(([topic, p]) => topic === '$shadow/operation/result/SB00000001/test1' && p.includes('"delta"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.true(seen.some(([topic, p]) => topic === '$shadow/operation/result/SB00000001/test1' && JSON.parse(p).payload.state.led === 1), 'the device got the delta');

  await page.fill('#broadcast-product', 'SB00000001');
  await page.fill('#broadcast-payload', 'hello all');
  await page.click('#broadcast-btn');
  await page.locator('#broadcast-result', { hasText: 'sent to SB00000001/test1' }).waitFor();
  await page.locator('#hub-time', { hasText: /^\d{4}-/ }).waitFor();
  t.deepEqual(pageErrors, []);
});
