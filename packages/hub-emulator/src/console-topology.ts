/**
 * Console controls for a gateway's topology beyond one bind/unbind: "unbind all" and "search for
 * subdevices" (start/stop), pushed as the platform does, and the acknowledgements gateways send
 * back for every topology push (`change` included). Plain JS run inside the console page after
 * CONSOLE_SCRIPT (uses its `$`, `api`, `cell`, `time`, `refresh` and `events`).
 */
export const CONSOLE_TOPOLOGY_HTML = `
<section>
<h2>Gateway topology <span class="muted">(pushed on the gateway's operation result topic; its acks below)</span></h2>
<form id="topology-form" onsubmit="return false">gateway <select id="topology-gw"></select>
<button id="unbind-all-btn" type="button">Unbind all</button> <button id="search-start-btn" type="button">Start search</button> <button id="search-stop-btn" type="button">Stop search</button></form>
<table id="topology-acks"><thead><tr><th>time</th><th>gateway</th><th>ack</th><th>status</th><th>result</th></tr></thead><tbody></tbody></table>
</section>
`;

export const CONSOLE_TOPOLOGY_SCRIPT = `
function showTopologyAck(a) {
  const tr = document.createElement('tr'); tr.className = 'topology-ack';
  cell(tr, time(a.at)); cell(tr, a.gateway); cell(tr, a.type);
  cell(tr, a.status === undefined ? '' : String(a.status));
  cell(tr, a.devices ? a.devices.map((d) => d.subdevice + ' ' + d.result).join(', ') : String(a.result), 'topology-result');
  $('topology-acks').tBodies[0].prepend(tr);
}
$('unbind-all-btn').onclick = () => api('POST', '/api/unbind-all', { gateway: $('topology-gw').value }).then(refresh, () => undefined);
$('search-start-btn').onclick = () => api('POST', '/api/search-devices', { gateway: $('topology-gw').value, status: 1 }).catch(() => undefined);
$('search-stop-btn').onclick = () => api('POST', '/api/search-devices', { gateway: $('topology-gw').value, status: 0 }).catch(() => undefined);
events.addEventListener('topologyAck', (e) => showTopologyAck(JSON.parse(e.data)));
api('GET', '/api/topology-acks').then((json) => json.acks.forEach(showTopologyAck), () => undefined);
`;
