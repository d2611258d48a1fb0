/**
 * The web console: one static page, plain HTML + JS, talking to the admin API and listening to
 * /api/events (server-sent events) for live OTA progress, online state and messages.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>iotgw hub emulator</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin-top: 1.5em; }
  table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
  .online { color: #080; font-weight: bold; } .offline { color: #999; }
  progress { width: 160px; } .fail { color: #b00; } .done { color: #080; }
  pre { background: #f5f5f5; padding: 6px; max-height: 220px; overflow: auto; font-size: 12px; }
  form { margin: 0.4em 0; } input, select, button { font: inherit; }
</style>
</head>
<body>
<h1>iotgw hub emulator</h1>
<div id="status">connecting…</div>

<h2>Devices</h2>
<table id="devices"><thead><tr><th>device</th><th>kind</th><th>state</th><th>bound to</th><th>version</th></tr></thead><tbody></tbody></table>

<h2>Bindings</h2>
<table id="bindings"><thead><tr><th>gateway</th><th>subdevice</th><th></th></tr></thead><tbody></tbody></table>
<form id="bind-form">bind <select id="bind-sub"></select> to <select id="bind-gw"></select> <button id="bind-btn" type="submit">Bind</button></form>

<h2>Send data</h2>
<form id="data-form"><select id="data-device"></select> <input id="data-payload" size="40" value='{"led":"on"}'> <button id="data-btn" type="submit">Send</button></form>

<h2>Firmware</h2>
<form id="upload-form">upload <input id="upload-file" type="file"> version <input id="upload-version" size="10" placeholder="1.0.0"> <button id="upload-btn" type="submit">Upload</button></form>
<form id="ota-form">push <select id="ota-fw"></select> to <select id="ota-sub"></select> <button id="ota-btn" type="submit">Push firmware</button></form>
<table id="jobs"><thead><tr><th>job</th><th>subdevice</th><th>version</th><th>state</th><th>progress</th></tr></thead><tbody></tbody></table>

<h2>Refusals</h2>
<div id="stats"></div>

<h2>Last messages</h2>
<pre id="messages"></pre>
<div id="error" class="fail"></div>

<script>
const $ = (id) => document.getElementById(id);
let state = { devices: [], bindings: [], firmware: [], jobs: [], messages: [] };

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (!res.ok) { $('error').textContent = json.error || res.statusText; throw new Error(json.error); }
  $('error').textContent = '';
  return json;
}

function key(d) { return d.productId + '/' + d.deviceName; }
function options(select, values) {
  const keep = select.value;
  select.replaceChildren(...values.map((v) => { const o = document.createElement('option'); o.value = v; o.textContent = v; return o; }));
  if (values.includes(keep)) select.value = keep;
}
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; }

function render() {
  const tbody = $('devices').tBodies[0];
  tbody.replaceChildren(...state.devices.map((d) => {
    const tr = document.createElement('tr'); tr.dataset.device = key(d);
    cell(tr, key(d)); cell(tr, d.gateway ? 'gateway' : 'subdevice');
    cell(tr, d.online ? 'online' : 'offline', d.online ? 'online' : 'offline');
    cell(tr, d.boundTo || ''); cell(tr, d.version || '');
    return tr;
  }));
  $('bindings').tBodies[0].replaceChildren(...state.bindings.map((b) => {
    const tr = document.createElement('tr'); tr.dataset.binding = b.gateway + '|' + b.subdevice;
    cell(tr, b.gateway); cell(tr, b.subdevice);
    const btn = document.createElement('button'); btn.textContent = 'Unbind'; btn.className = 'unbind';
    btn.onclick = () => api('POST', '/api/unbind', b).then(refresh);
    cell(tr, '').append(btn);
    return tr;
  }));
  const gateways = state.devices.filter((d) => d.gateway).map(key);
  const subs = state.devices.filter((d) => !d.gateway).map(key);
  options($('bind-gw'), gateways); options($('bind-sub'), subs);
  options($('data-device'), state.devices.map(key)); options($('ota-sub'), subs);
  options($('ota-fw'), state.firmware.map((f) => f.id));
  for (const o of $('ota-fw').options) { const f = state.firmware.find((x) => x.id === o.value); if (f) o.textContent = f.id + ' (' + f.version + ', ' + f.size + ' B)'; }
  $('jobs').tBodies[0].replaceChildren(...state.jobs.map(jobRow));
  $('stats').textContent = 'ACL denials: ' + state.stats.aclDenials + ', auth failures: ' + state.stats.authFailures + ', malformed messages: ' + state.stats.protocolErrors;
  $('messages').textContent = state.messages.slice(-20).map((m) => (m.direction === 'up' ? '→ ' : '← ') + m.topic + ' ' + m.payload).join('\\n');
}

function jobRow(j) {
  const tr = document.createElement('tr'); tr.id = 'job-' + j.id;
  cell(tr, j.id); cell(tr, j.subdevice); cell(tr, j.version);
  cell(tr, j.state + (j.state === 'fail' ? ' (' + j.failCode + ': ' + (j.failMessage || '') + ')' : ''), j.state).className += ' job-state';
  const bar = document.createElement('progress'); bar.max = 100; bar.value = j.percent;
  const td = cell(tr, ''); td.append(bar, ' ' + j.percent + '%'); td.className = 'job-percent';
  return tr;
}

async function refresh() { state = await api('GET', '/api/state'); render(); }

$('bind-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/bind', { gateway: $('bind-gw').value, subdevice: $('bind-sub').value }).then(refresh); };
$('data-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/data', { device: $('data-device').value, payload: $('data-payload').value }).then(refresh); };
$('upload-form').onsubmit = async (e) => {
  e.preventDefault();
  const file = $('upload-file').files[0];
  if (!file) { $('error').textContent = 'choose a firmware file first'; return; }
  const res = await fetch('/api/firmware?version=' + encodeURIComponent($('upload-version').value), { method: 'PUT', body: file });
  const json = await res.json();
  if (!res.ok) { $('error').textContent = json.error; return; }
  $('error').textContent = '';
  await refresh();
  $('ota-fw').value = json.firmware.id;
};
$('ota-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/ota', { subdevice: $('ota-sub').value, firmwareId: $('ota-fw').value }).then(refresh); };

const events = new EventSource('/api/events');
events.onopen = () => { $('status').textContent = 'live'; };
events.onerror = () => { $('status').textContent = 'disconnected, retrying…'; };
events.addEventListener('ota', (e) => {
  const job = JSON.parse(e.data);
  const i = state.jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) state.jobs[i] = job; else state.jobs.push(job);
  const row = document.getElementById('job-' + job.id);
  if (row) row.replaceWith(jobRow(job)); else $('jobs').tBodies[0].append(jobRow(job));
});
events.addEventListener('message', (e) => { state.messages.push(JSON.parse(e.data)); $('messages').textContent = state.messages.slice(-20).map((m) => (m.direction === 'up' ? '→ ' : '← ') + m.topic + ' ' + m.payload).join('\\n'); });
events.addEventListener('online', () => { refresh(); });
events.addEventListener('registry', () => { refresh(); });
refresh();
</script>
</body>
</html>
`;
