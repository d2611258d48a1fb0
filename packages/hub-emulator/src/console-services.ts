/**
 * Console controls for the hub's device services beyond data and OTA: RRPC (send a request to an
 * online device, see its reply or the timeout). Plain JS run inside the console page after
 * CONSOLE_SCRIPT (uses its `$`, `api`, `cell`, `time` and `events`).
 */
export const CONSOLE_SERVICES_HTML = `
<section>
<h2>RRPC <span class="muted">(the caller waits for the device's reply)</span></h2>
<form id="rrpc-form"><select id="rrpc-device"></select> <input id="rrpc-payload" size="22" value='{"cmd":"status"}'>
timeout <input id="rrpc-timeout" size="5" value="4000"> ms <button id="rrpc-btn" type="submit">Send RRPC</button></form>
<table id="rrpc"><thead><tr><th>time</th><th>id</th><th>device</th><th>request</th><th>result</th><th>reply</th></tr></thead><tbody></tbody></table>
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
`;
