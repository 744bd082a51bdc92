// Zones page: rampartd's live DNSBL/DNSWL zones (src/server/live_zones.h)
// from GET /api/zones (their metrics: entries, serial, queries answered) and
// the queries per second of each zone over the hour, day or month from
// rampartd's own history (series dnsbl.<zone>), drawn with uPlot.
import uPlot from 'uplot';

export async function drawZones(app, { el, api, fmt, timers }) {
  let range = 'hour';
  const table = el('section', { class: 'card', id: 'zones' });
  const chartBox = el('div', { id: 'zones-chart' });
  const buttons = el('div', { class: 'ranges' }, ...['hour', 'day', 'month'].map((r) =>
    el('button', { 'data-range': r, onclick: () => { range = r; refresh(); } }, 'last ' + r)));
  app.replaceChildren(el('h1', {}, 'Zones'), table,
    el('section', { class: 'card' }, el('h2', {}, 'Queries per second by zone'), buttons, chartBox));
  let plot = null;

  async function refresh() {
    const [z, h] = await Promise.all([api('GET', '/api/zones'), api('GET', '/api/history?range=' + range)]);
    if (z.status !== 200 || h.status !== 200) {
      table.replaceChildren(el('p', { class: 'error' }, `failed (${z.status}, ${h.status})`));
      return;
    }
    for (const b of buttons.children) b.classList.toggle('active', b.dataset.range === range);
    const zones = z.data.zones || [];
    const hist = h.data;
    // The rate now: the last point of the hour's (or the chosen range's) series.
    const last = (name) => {
      const s = hist.series['dnsbl.' + name];
      return s && s.length ? s[s.length - 1] : 0;
    };
    if (!z.data.served) {
      table.replaceChildren(el('p', { id: 'zones-none' },
        'This rampartd serves no live zones: set [dnsbl] listen and [[dnsbl.zones]] (docs/guide.md, "DNS zones").'));
    } else {
      table.replaceChildren(el('table', { id: 'zones-table' },
        el('thead', {}, el('tr', {}, el('th', {}, 'zone'), el('th', { class: 'num' }, 'entries'),
          el('th', { class: 'num' }, 'serial'), el('th', { class: 'num' }, 'queries'),
          el('th', { class: 'num' }, 'not listed (NXDOMAIN)'), el('th', { class: 'num' }, 'queries/s'))),
        el('tbody', {}, zones.map((x) => el('tr', { 'data-zone': x.zone }, el('td', {}, x.zone),
          el('td', { class: 'num zone-entries' }, fmt(x.entries)), el('td', { class: 'num zone-serial' }, String(x.serial)),
          el('td', { class: 'num zone-queries' }, fmt(x.queries)), el('td', { class: 'num' }, fmt(x.nxdomain)),
          el('td', { class: 'num' }, fmt(last(x.zone))))))),
      el('p', { class: 'muted small' }, `Refused over the per-client rate: ${fmt(z.data.rate_limited)}; ` +
        `class changes dropped at max_entries: ${fmt(z.data.entries_dropped)}.`));
    }
    if (plot) plot.destroy();
    plot = null;
    chartBox.replaceChildren();
    const names = Object.keys(hist.series).filter((k) => k.startsWith('dnsbl.'));
    if (hist.t.length === 0 || names.length === 0) {
      chartBox.append(el('p', { class: 'muted' }, 'No queries in this range yet.'));
      return;
    }
    const span = { hour: 3600, day: 86400, month: 30 * 86400 }[range];
    const now = Date.now() / 1000;
    plot = new uPlot({ width: Math.min(900, app.clientWidth - 40), height: 240,
      series: [{}].concat(names.map((n, i) => ({ label: n.slice(6), stroke: `hsl(${(i * 67 + 30) % 360} 60% 40%)`, width: 2, points: { show: true, size: 5 } }))),
      axes: [{}, { label: 'queries/s' }],
      scales: { x: { time: true, range: () => [now - span, now] }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } } },
    [hist.t].concat(names.map((n) => hist.series[n])), chartBox);
  }

  await refresh();
  timers.push(setInterval(refresh, 5000));
}
