/**
 * Console controls for the hub's device services beyond data and OTA: RRPC (send a request to an
 * online device, see its reply or the timeout), device shadows (edit desired state, watch
 * reported/desired/delta), broadcast to a product, and the time service. Plain JS run inside the console page after
 * CONSOLE_SCRIPT (uses its `$`, `api`, `cell`, `time` and `events`).
 */
export const CONSOLE_SERVICES_HTML = `
<section>
<h2>RRPC <span class="muted">(the caller waits for the device's reply)</span></h2>
<form id="rrpc-form"><select id="rrpc-device"></select> <input id="rrpc-payload" size="22" value='{"cmd":"status"}'>
timeout <input id="rrpc-timeout" size="5" value="4000"> ms <button id="rrpc-btn" type="submit">Send RRPC</button></form>
<table id="rrpc"><thead><tr><th>time</th><th>id</th><th>device</th><th>request</th><th>result</th><th>reply</th></tr></thead><tbody></tbody></table>
</section>
<section>
<h2>Device shadow <span class="muted">(desired reaches an online device as a delta; an offline one gets it on its next get)</span></h2>
<form id="shadow-form"><select id="shadow-device"></select> desired <input id="shadow-desired" size="22" value='{"led":1}'> <button id="shadow-btn" type="submit">Set desired</button></form>
<table id="shadows"><thead><tr><th>device</th><th>version</th><th>reported</th><th>desired</th><th>delta</th></tr></thead><tbody></tbody></table>
</section>
<section>
<h2>Broadcast and time</h2>
<form id="broadcast-form">to every online device of <input id="broadcast-product" size="11" placeholder="PRODUCT_ID"> <input id="broadcast-payload" size="18" value='{"notice":"hello"}'> <button id="broadcast-btn" type="submit">Broadcast</button></form>
<div id="broadcast-result" class="muted"></div>
<div>hub time <span id="hub-time"></span>, <span id="time-requests">0</span> time requests answered</div>
</section>
`;

export const CONSOLE_SERVICES_SCRIPT = `
const rrpcCalls = new Map();
function rrpcRow(r) {
  const tr = document.createElement('tr'); tr.id = 'rrpc-' + r.device + '-' + r.processId; tr.className = 'rrpc-call ' + r.status;
  cell(tr, time(r.at)); cell(tr, r.processId); cell(tr, r.device); cell(tr, r.request);
  cell(tr, r.status === 'waiting' ? 'waiting…' : r.status + (r.elapsedMs !== undefined ? ' (' + r.elapsedMs + ' ms)' : ''), 'rrpc-status ' + (r.status === 'timeout' ? 'fail' : r.status === 'answered' ? 'done' : 'muted'));
  cell(tr, r.reply ?? '', 'rrpc-reply');
  return tr;
}
function showRrpc(r) {
  rrpcCalls.set(r.device + '/' + r.processId, r);
  const row = document.getElementById('rrpc-' + r.device + '-' + r.processId);
  if (row) row.replaceWith(rrpcRow(r)); else $('rrpc').tBodies[0].prepend(rrpcRow(r));
}
$('rrpc-form').onsubmit = (e) => {
  e.preventDefault();
  api('POST', '/api/rrpc', { device: $('rrpc-device').value, payload: $('rrpc-payload').value, timeoutMs: Number($('rrpc-timeout').value) || 4000 })
    .then((json) => showRrpc(json.rrpc), () => undefined);
};
events.addEventListener('rrpc', (e) => showRrpc(JSON.parse(e.data)));
api('GET', '/api/rrpc').then((json) => json.calls.forEach(showRrpc), () => undefined);

const text = (v) => v === undefined || v === null ? '' : JSON.stringify(v);
function showShadow(s) {
  const id = 'shadow-' + s.device;
  const tr = document.createElement('tr'); tr.id = id; tr.className = 'shadow'; tr.dataset.device = s.device;
  cell(tr, s.device); cell(tr, String(s.version), 'shadow-version'); cell(tr, text(s.reported), 'shadow-reported'); cell(tr, text(s.desired), 'shadow-desired'); cell(tr, text(s.delta), 'shadow-delta');
  const row = document.getElementById(id);
  if (row) row.replaceWith(tr); else $('shadows').tBodies[0].append(tr);
}
$('shadow-form').onsubmit = (e) => {
  e.preventDefault();
  let desired;
  try { desired = JSON.parse($('shadow-desired').value); } catch { showError('desired must be JSON, e.g. {"led":1}'); return; }
  api('POST', '/api/shadow', { device: $('shadow-device').value, desired }).then((json) => showShadow(json.shadow), () => undefined);
};
events.addEventListener('shadow', (e) => showShadow(JSON.parse(e.data)));
api('GET', '/api/shadow').then((json) => json.shadows.forEach(showShadow), () => undefined);

$('broadcast-form').onsubmit = (e) => {
  e.preventDefault();
  api('POST', '/api/broadcast', { productId: $('broadcast-product').value.trim(), payload: $('broadcast-payload').value })
    .then((json) => { $('broadcast-result').textContent = 'sent to ' + (json.sentTo.length ? json.sentTo.join(', ') : 'no online device'); }, () => undefined);
};
function showTime() {
  api('GET', '/api/time').then((json) => { $('hub-time').textContent = new Date(json.now).toISOString(); $('time-requests').textContent = String(json.timeRequests); }, () => undefined);
}
showTime(); setInterval(showTime, 5000);
`;
