/**
 * The console's behaviour, plain browser JS inlined in the page. Every API call carries the token
 * from the page's own URL; the event stream (/api/events) keeps every table live, and any
 * reconnect reloads everything, so nothing shown goes stale.
 */
export const CONSOLE_SCRIPT = String.raw`
const TOKEN = new URLSearchParams(location.search).get('token') || '';
const MAX_MESSAGES = 500;
const $ = (id) => document.getElementById(id);
let state = { devices: [], bindings: [], products: [], firmware: [], jobs: [], stats: {} };
let messages = [];
let refusals = [];

function showError(text) { $('error').textContent = text || ''; }

async function api(method, path, body) {
  const headers = { authorization: 'Bearer ' + TOKEN };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) { showError(json.error || res.statusText); throw new Error(json.error); }
  showError('');
  return json;
}

const key = (d) => d.productId + '/' + d.deviceName;
const time = (at) => { const d = new Date(at); return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0'); };
function options(select, values, preferred) {
  const keep = select.value;
  select.replaceChildren(...values.map((v) => { const o = document.createElement('option'); o.value = v; o.textContent = v; return o; }));
  if (values.includes(keep)) select.value = keep; else if (preferred && values.includes(preferred)) select.value = preferred;
}
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; }

function renderDevices() {
  $('devices').tBodies[0].replaceChildren(...state.devices.map((d) => {
    const tr = document.createElement('tr'); tr.dataset.device = key(d);
    cell(tr, key(d)); cell(tr, d.gateway ? 'gateway' : 'subdevice');
    cell(tr, d.online ? 'online' : 'offline', 'state ' + (d.online ? 'online' : 'offline'));
    cell(tr, d.boundTo || ''); cell(tr, d.version || '', 'version');
    return tr;
  }));
  // Products: the dynamic registration switch per product (their secrets never come back).
  $('products').tBodies[0].replaceChildren(...(state.products || []).map((p) => {
    const tr = document.createElement('tr'); tr.dataset.product = p.productId;
    cell(tr, p.productId);
    const box = document.createElement('input'); box.type = 'checkbox'; box.checked = p.dynamicRegistration; box.className = 'dynreg';
    box.onchange = () => api('POST', '/api/products', { productId: p.productId, dynamicRegistration: box.checked }).then(refresh, () => undefined);
    cell(tr, '').append(box);
    return tr;
  }));
  $('bindings').tBodies[0].replaceChildren(...state.bindings.map((b) => {
    const tr = document.createElement('tr'); tr.dataset.binding = b.gateway + '|' + b.subdevice;
    cell(tr, b.gateway); cell(tr, b.subdevice);
    const btn = document.createElement('button'); btn.textContent = 'Unbind'; btn.className = 'unbind';
    btn.onclick = () => api('POST', '/api/unbind', b).then(refresh, () => undefined);
    cell(tr, '').append(btn);
    return tr;
  }));
  const gateways = state.devices.filter((d) => d.gateway).map(key);
  const subs = state.devices.filter((d) => !d.gateway).map(key);
  options($('bind-gw'), gateways); options($('bind-sub'), subs); options($('topology-gw'), gateways);
  // Data goes to a subdevice far more often than to a gateway: subdevices first, one preselected.
  options($('data-device'), [...subs, ...gateways], subs[0]);
  options($('rrpc-device'), [...subs, ...gateways], subs[0]);
  options($('shadow-device'), [...subs, ...gateways], subs[0]);
  if (!$('broadcast-product').value && subs[0]) $('broadcast-product').value = subs[0].split('/')[0];
  // A gateway is a target too: its own update (self-update), reported on its own ids.
  options($('ota-sub'), [...subs, ...gateways], subs[0]);
  options($('level-device'), [...gateways, ...subs], gateways[0]);
  options($('config-device'), [...gateways, ...subs], gateways[0]);
  options($('ota-fw'), state.firmware.map((f) => f.id));
  for (const o of $('ota-fw').options) { const f = state.firmware.find((x) => x.id === o.value); if (f) o.textContent = f.id + ' (' + f.version + ', ' + f.size + ' B)'; }
  const online = state.devices.filter((d) => d.online).length;
  $('summary').textContent = state.devices.length + ' devices, ' + online + ' online';
}

function bar(percent, label) {
  const td = document.createElement('td');
  if (percent === undefined || percent === null) { td.textContent = '—'; td.className = 'muted'; return td; }
  const p = document.createElement('progress'); p.max = 100; p.value = percent;
  td.append(p, ' ' + label);
  return td;
}

function jobState(j) {
  if (j.state === 'downloading') return 'downloading ' + j.percent + '%';
  if (j.state === 'burning') return j.deliveryPercent === undefined ? 'burning' : 'delivering ' + j.deliveryPercent + '%';
  if (j.state === 'fail') return 'fail (' + j.failCode + ': ' + (j.failMessage || '') + ')';
  return j.state;
}

function jobRow(j) {
  const tr = document.createElement('tr'); tr.id = 'job-' + j.id;
  cell(tr, j.id); cell(tr, j.subdevice); cell(tr, j.version);
  cell(tr, jobState(j), 'job-state ' + j.state);
  const download = bar(j.percent, j.percent + '%'); download.classList.add('job-percent', 'job-download'); tr.append(download);
  const delivery = bar(j.deliveryPercent, j.deliveryPercent + '%'); delivery.classList.add('job-delivery'); tr.append(delivery);
  return tr;
}

function renderJobs() { $('jobs').tBodies[0].replaceChildren(...state.jobs.map(jobRow)); }

function messageRow(m) {
  const div = document.createElement('div'); div.className = 'msg ' + m.direction;
  const parts = [['msg-time', time(m.at)], ['msg-dir', m.direction === 'up' ? ' → ' : ' ← '], ['msg-topic', m.topic], ['msg-payload', ' ' + m.payload + (m.truncated ? ' … (' + m.size + ' B)' : '')]];
  for (const [cls, text] of parts) { const s = document.createElement('span'); s.className = cls; s.textContent = text; div.append(s); }
  return div;
}

function matches(m) { const f = $('msg-filter').value.trim().toLowerCase(); return !f || (m.topic + ' ' + m.payload).toLowerCase().includes(f); }
function atBottom(box) { return box.scrollTop + box.clientHeight >= box.scrollHeight - 24; }
function renderMessages() {
  const box = $('messages');
  box.replaceChildren(...messages.filter(matches).map(messageRow));
  box.scrollTop = box.scrollHeight;
  $('msg-count').textContent = '(' + messages.length + ')';
}
function addMessage(m) {
  messages.push(m);
  if (messages.length > MAX_MESSAGES) messages.splice(0, messages.length - MAX_MESSAGES);
  if (addReading(m)) renderReadings();
  const box = $('messages');
  // Follow the newest unless the reader scrolled up to look at something.
  const follow = atBottom(box);
  if (matches(m)) box.append(messageRow(m));
  while (box.childElementCount > MAX_MESSAGES) box.firstElementChild.remove();
  if (follow) box.scrollTop = box.scrollHeight;
  $('msg-count').textContent = '(' + messages.length + ')';
}

function refusalRow(r) {
  const tr = document.createElement('tr'); tr.className = 'refusal'; tr.dataset.kind = r.kind;
  cell(tr, time(r.at)); const k = cell(tr, ''); const badge = document.createElement('span'); badge.className = 'kind'; badge.textContent = r.kind; k.append(badge);
  cell(tr, r.device); cell(tr, r.topic || ''); cell(tr, r.reason, 'reason');
  return tr;
}
function renderRefusals() {
  // Newest first: what just went wrong is at the top.
  const rows = refusals.slice().reverse().map(refusalRow);
  if (rows.length === 0) { const tr = document.createElement('tr'); cell(tr, 'nothing refused so far', 'muted').colSpan = 5; rows.push(tr); }
  $('refusals').tBodies[0].replaceChildren(...rows);
  const s = state.stats;
  $('refusal-counts').textContent = '(auth failures: ' + (s.authFailures || 0) + ', ACL denials: ' + (s.aclDenials || 0) + ', malformed: ' + (s.protocolErrors || 0) + ', oversize: ' + (s.oversizePackets || 0) + ')';
}

// Job updates applied from the event stream. A snapshot asked for before one of them may come back
// after it (two connections): rendering it would put the job back where it was (pushed, 0 %).
let jobEvents = 0;
async function refresh() {
  for (let tries = 1; ; tries += 1) {
    const before = jobEvents;
    const snapshot = await api('GET', '/api/state');
    if (jobEvents === before || tries === 5) { state = snapshot; break; }
  }
  renderDevices(); renderJobs(); renderRefusals();
}
let refreshTimer;
function refreshSoon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(() => refresh().catch(() => undefined), 80); }

async function reloadAll() {
  const [m, r] = await Promise.all([api('GET', '/api/messages'), api('GET', '/api/refusals')]);
  messages = m.messages; refusals = r.refusals;
  readings.clear(); for (const x of messages) addReading(x);
  await refresh();
  renderMessages(); renderReadings();
}

function randomSecret() { const bytes = new Uint8Array(16); crypto.getRandomValues(bytes); return btoa(String.fromCharCode(...bytes)); }
$('add-random').onclick = () => { $('add-secret').value = randomSecret(); };
$('add-device-form').onsubmit = (e) => {
  e.preventDefault();
  api('POST', '/api/devices', { productId: $('add-pid').value.trim(), deviceName: $('add-name').value.trim(), deviceSecret: $('add-secret').value.trim(), gateway: $('add-gateway').checked })
    .then(() => { $('add-name').value = ''; $('add-secret').value = ''; return refresh(); }, () => undefined);
};
$('product-form').onsubmit = (e) => {
  e.preventDefault();
  api('POST', '/api/products', { productId: $('product-pid').value.trim(), productSecret: $('product-secret').value, dynamicRegistration: $('product-dynreg').checked })
    .then(() => { $('product-secret').value = ''; return refresh(); }, () => undefined);
};
$('bind-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/bind', { gateway: $('bind-gw').value, subdevice: $('bind-sub').value }).then(refresh, () => undefined); };
$('data-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/data', { device: $('data-device').value, channel: $('data-channel').value || 'data', payload: $('data-payload').value }).catch(() => undefined); };
$('upload-form').onsubmit = async (e) => {
  e.preventDefault();
  const file = $('upload-file').files[0];
  if (!file) { showError('choose a firmware file first'); return; }
  const res = await fetch('/api/firmware?version=' + encodeURIComponent($('upload-version').value), { method: 'PUT', body: file, headers: { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/octet-stream' } });
  const json = await res.json();
  if (!res.ok) { showError(json.error); return; }
  showError('');
  await refresh();
  $('ota-fw').value = json.firmware.id;
};
$('level-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/log-level', { device: $('level-device').value, level: $('level-value').value }).catch(() => undefined); };
$('config-form').onsubmit = (e) => {
  e.preventDefault();
  let config;
  try { config = JSON.parse($('config-text').value); } catch { showError('the configuration is not valid JSON'); return; }
  api('POST', '/api/config', { device: $('config-device').value, config }).catch(() => undefined);
};
async function renderLogs() {
  const { lines } = await api('GET', '/api/logs');
  const box = $('logs');
  if (lines.length === 0) return;
  box.replaceChildren(...lines.slice(-200).map((l) => { const div = document.createElement('div'); div.className = 'log-line'; div.textContent = l.device + '  ' + l.line; return div; }));
  box.scrollTop = box.scrollHeight;
}
setInterval(() => renderLogs().catch(() => undefined), 2000);
$('ota-form').onsubmit = (e) => { e.preventDefault(); api('POST', '/api/ota', { subdevice: $('ota-sub').value, firmwareId: $('ota-fw').value }).then(refresh, () => undefined); };
$('msg-filter').oninput = renderMessages;

const events = new EventSource('/api/events?token=' + encodeURIComponent(TOKEN));
// Every (re)connect reloads everything: what happened while disconnected is not lost.
// "live" is shown only once the reload has rendered: an operator (or a test) reading "live" sees current state.
events.onopen = () => {
  $('status').textContent = 'loading…'; $('status').className = '';
  reloadAll().catch(() => undefined).finally(() => {
    if (events.readyState === EventSource.OPEN) { $('status').textContent = 'live'; $('status').className = 'live'; }
  });
};
events.onerror = () => { $('status').textContent = 'disconnected, retrying…'; $('status').className = ''; };
events.addEventListener('ota', (e) => {
  jobEvents += 1;
  const job = JSON.parse(e.data);
  const i = state.jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) state.jobs[i] = job; else state.jobs.push(job);
  const row = document.getElementById('job-' + job.id);
  if (row) row.replaceWith(jobRow(job)); else $('jobs').tBodies[0].append(jobRow(job));
});
events.addEventListener('message', (e) => addMessage(JSON.parse(e.data)));
events.addEventListener('refusal', (e) => { refusals.push(JSON.parse(e.data)); if (refusals.length > 2000) refusals.splice(0, refusals.length - 2000); refreshSoon(); });
for (const name of ['online', 'registry', 'version']) events.addEventListener(name, refreshSoon);
// A slow safety net under the event stream.
setInterval(() => refresh().catch(() => undefined), 10000);
`;
