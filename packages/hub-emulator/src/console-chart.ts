/**
 * The console's readings: numeric values each device sends on its `…/data` topic, kept per
 * device and field (the last 60) and drawn as small SVG line charts. Plain browser JS, inlined in
 * the page (no chart library, no network).
 */
export const CONSOLE_CHART_SCRIPT = String.raw`
const READING_POINTS = 60;
const READING_FIELDS = 6;
// Counters and clocks are numbers too, but not readings worth a chart.
const NOT_A_READING = /^(at|ts|time|timestamp|seq|sequence|id|index)$/i;
const readings = new Map();

function numericFields(value, path, out, depth) {
  if (typeof value === 'number' && Number.isFinite(value)) { out.push([path, value]); return; }
  if (depth > 2 || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    if (NOT_A_READING.test(key)) continue;
    numericFields(inner, path ? path + '.' + key : key, out, depth + 1);
  }
}

/** Takes an uplink message; true when it carried readings. */
function addReading(message) {
  if (message.direction !== 'up') return false;
  const match = /^([^$/][^/]*)\/([^/]+)\/data$/.exec(message.topic);
  if (!match) return false;
  let value;
  try { value = JSON.parse(message.payload); } catch { return false; }
  const fields = [];
  numericFields(value, '', fields, 0);
  if (fields.length === 0) return false;
  const device = match[1] + '/' + match[2];
  if (!readings.has(device)) readings.set(device, new Map());
  const series = readings.get(device);
  for (const [field, number] of fields) {
    if (!series.has(field)) { if (series.size >= READING_FIELDS) continue; series.set(field, []); }
    const points = series.get(field);
    points.push({ at: message.at, value: number });
    if (points.length > READING_POINTS) points.splice(0, points.length - READING_POINTS);
  }
  return true;
}

function svg(tag, attributes) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function sparkline(field, points) {
  const width = 180, height = 44, pad = 3;
  const values = points.map((p) => p.value);
  const min = Math.min(...values), max = Math.max(...values);
  const span = max - min || 1;
  const x = (i) => pad + (points.length === 1 ? (width - 2 * pad) : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (v) => height - pad - ((v - min) * (height - 2 * pad)) / span;
  const chart = svg('svg', { class: 'chart', width, height, viewBox: '0 0 ' + width + ' ' + height, 'data-field': field, 'data-points': points.length });
  const title = svg('title', {}); title.textContent = field + ': ' + min + ' … ' + max; chart.append(title);
  chart.append(svg('polyline', { points: points.map((p, i) => x(i).toFixed(1) + ',' + y(p.value).toFixed(1)).join(' ') }));
  return chart;
}

function renderReadings() {
  const box = document.getElementById('readings');
  const cards = [...readings.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([device, series]) => {
    const card = document.createElement('div');
    card.className = 'reading-card'; card.dataset.device = device;
    const h = document.createElement('h3'); h.textContent = device; card.append(h);
    for (const [field, points] of series) {
      const row = document.createElement('div'); row.className = 'series'; row.dataset.field = field;
      const name = document.createElement('span'); name.className = 'field'; name.textContent = field;
      const latest = document.createElement('span'); latest.className = 'latest'; latest.textContent = String(points[points.length - 1].value);
      row.append(name, sparkline(field, points), latest);
      card.append(row);
    }
    return card;
  });
  if (cards.length === 0) return;
  box.replaceChildren(...cards);
}
`;
