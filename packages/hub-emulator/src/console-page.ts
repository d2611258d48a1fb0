import { CONSOLE_SCRIPT } from './console-script.js';
import { CONSOLE_CHART_SCRIPT } from './console-chart.js';
import { CONSOLE_SERVICES_HTML, CONSOLE_SERVICES_SCRIPT } from './console-services.js';
import { CONSOLE_TOPOLOGY_HTML, CONSOLE_TOPOLOGY_SCRIPT } from './console-topology.js';

const STYLE = `
  :root { --line: #d6dbe0; --muted: #6b7680; --ok: #1a7f37; --bad: #b42318; --accent: #1f5f8b; }
  * { box-sizing: border-box; }
  body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2329; background: #f6f8fa; }
  header { background: var(--accent); color: #fff; padding: 10px 20px; display: flex; align-items: center; gap: 14px; }
  header h1 { font-size: 1.15em; margin: 0; } header img { width: 24px; height: 24px; } #summary { color: #cfe3f1; }
  #status { margin-left: auto; font-size: 0.9em; padding: 2px 8px; border-radius: 10px; background: rgba(255,255,255,0.15); }
  #status.live { background: #2f9e57; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 14px; padding: 14px 20px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 1em; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; font-size: 0.93em; }
  th { color: var(--muted); font-weight: 600; }
  .online { color: var(--ok); font-weight: 600; } .offline { color: var(--muted); }
  .fail { color: var(--bad); } .done { color: var(--ok); }
  form { margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
  input, select, button { font: inherit; padding: 3px 6px; }
  progress { width: 110px; vertical-align: middle; }
  .muted { color: var(--muted); }
  #messages { height: 260px; overflow: auto; font: 12px ui-monospace, monospace; background: #fbfcfd; border: 1px solid var(--line); padding: 4px; }
  #logs { max-height: 180px; overflow: auto; font: 12px ui-monospace, monospace; background: #fbfcfd; border: 1px solid var(--line); padding: 4px; margin-top: 6px; }
  .msg { white-space: pre-wrap; word-break: break-all; padding: 1px 0; }
  .msg-time { color: var(--muted); } .msg-dir { font-weight: 700; } .msg.up .msg-dir { color: var(--accent); } .msg.down .msg-dir { color: #8250df; }
  .msg-topic { color: #0b6e4f; }
  #refusals-wrap { max-height: 240px; overflow: auto; }
  .kind { font-size: 0.8em; padding: 1px 6px; border-radius: 8px; background: #fde8e7; color: var(--bad); }
  #readings { display: flex; flex-wrap: wrap; gap: 10px; }
  .reading-card { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
  .reading-card h3 { font-size: 0.9em; margin: 0 0 4px; }
  .series { display: flex; align-items: center; gap: 8px; font-size: 0.85em; }
  .series .field { min-width: 90px; } .series .latest { font-weight: 700; min-width: 60px; }
  svg.chart { background: #fbfcfd; border: 1px solid var(--line); }
  svg.chart polyline { fill: none; stroke: var(--accent); stroke-width: 1.6; }
  #error { color: var(--bad); min-height: 1.2em; padding: 0 20px; }
`;

/**
 * The web console: one static page, plain HTML + JS (no network beyond this hub, no build step),
 * talking only to the admin API with the token from its own URL, and kept live by /api/events.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>iotgw hub emulator</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<header><img src="/favicon.svg" alt=""><h1>iotgw hub emulator</h1><span id="summary" class="muted"></span><span id="status">connecting…</span></header>
<div id="error" role="alert"></div>
<main>
<section>
<h2>Devices</h2>
<table id="devices"><thead><tr><th>device</th><th>kind</th><th>state</th><th>bound to</th><th>version</th></tr></thead><tbody></tbody></table>
<form id="add-device-form">add <input id="add-pid" size="11" placeholder="PRODUCT_ID" required> <input id="add-name" size="10" placeholder="device name" required>
<input id="add-secret" size="20" placeholder="secret (base64)" required> <button id="add-random" type="button" title="fill a random secret">random</button>
<label><input id="add-gateway" type="checkbox"> gateway</label> <button id="add-btn" type="submit">Add device</button></form>
</section>
<section>
<h2>Products <span class="muted">(dynamic registration: devices get their secret from <code>/device/register</code>)</span></h2>
<table id="products"><thead><tr><th>product</th><th>dynamic registration</th></tr></thead><tbody></tbody></table>
<form id="product-form">product <input id="product-pid" size="11" placeholder="PRODUCT_ID" required> <input id="product-secret" size="20" placeholder="product secret (16+ chars)" required>
<label><input id="product-dynreg" type="checkbox" checked> dynamic registration</label> <button id="product-btn" type="submit">Set product</button></form>
</section>
<section>
<h2>Bindings</h2>
<table id="bindings"><thead><tr><th>gateway</th><th>subdevice</th><th></th></tr></thead><tbody></tbody></table>
<form id="bind-form">bind <select id="bind-sub"></select> to <select id="bind-gw"></select> <button id="bind-btn" type="submit">Bind</button></form>
</section>
${CONSOLE_TOPOLOGY_HTML}<section class="wide">
<h2>Readings <span class="muted">(last numeric values each subdevice sent on its data topic)</span></h2>
<div id="readings"><span class="muted" id="readings-empty">no readings yet</span></div>
</section>
<section>
<h2>Send data</h2>
<form id="data-form"><select id="data-device"></select> channel <input id="data-channel" size="8" value="data">
<input id="data-payload" size="28" value='{"led":"on"}'> <button id="data-btn" type="submit">Send</button></form>
</section>
${CONSOLE_SERVICES_HTML}
<section>
<h2>Firmware</h2>
<form id="upload-form">upload <input id="upload-file" type="file"> version <input id="upload-version" size="8" placeholder="1.0.0"> <button id="upload-btn" type="submit">Upload</button></form>
<form id="ota-form">push <select id="ota-fw"></select> to <select id="ota-sub" title="a subdevice, or a gateway (updates the gateway itself)"></select> <button id="ota-btn" type="submit">Push firmware</button></form>
</section>
<section class="wide">
<h2>Gateway services <span class="muted">(remote configuration, log level, uploaded logs)</span></h2>
<form id="level-form">log level of <select id="level-device"></select> <select id="level-value"><option>none</option><option>error</option><option>warn</option><option>info</option><option>debug</option></select> <button id="level-btn" type="submit">Set level</button></form>
<form id="config-form">push configuration to <select id="config-device"></select> <button id="config-btn" type="submit">Push config</button><br><textarea id="config-text" rows="4" cols="70">{"logLevel": "debug"}</textarea></form>
<div id="logs"><span class="muted" id="logs-empty">no log lines uploaded yet</span></div>
</section>
<section class="wide">
<h2>Firmware jobs</h2>
<table id="jobs"><thead><tr><th>job</th><th>device</th><th>version</th><th>state</th><th>download</th><th>delivery</th></tr></thead><tbody></tbody></table>
</section>
<section class="wide">
<h2>Messages <span id="msg-count" class="muted"></span></h2>
<form id="msg-form" onsubmit="return false">filter <input id="msg-filter" size="30" placeholder="topic or payload text"></form>
<div id="messages"></div>
</section>
<section class="wide">
<h2>Refusals <span id="refusal-counts" class="muted"></span></h2>
<div id="refusals-wrap"><table id="refusals"><thead><tr><th>time</th><th>kind</th><th>device</th><th>topic</th><th>reason</th></tr></thead><tbody></tbody></table></div>
</section>
</main>
<script>
${CONSOLE_CHART_SCRIPT}
${CONSOLE_SCRIPT}
${CONSOLE_SERVICES_SCRIPT}
${CONSOLE_TOPOLOGY_SCRIPT}
</script>
</body>
</html>
`;
