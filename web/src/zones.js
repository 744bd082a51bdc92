// Zones and sharing page: rampartd's live DNSBL/DNSWL zones
// (src/server/live_zones.h) from GET /api/zones (their metrics: entries,
// serial, queries answered, the DNS server's answer latency) and the queries
// per second of each zone over the hour, day or month from rampartd's own
// history (series dnsbl.<zone>), drawn with uPlot; then the members of the
// sharing group (GET /api/exchange: src/server/exchange_service.h
// members_json) with what each published and read, per class.
import uPlot from 'uplot';

export async function drawZones(app, { el, api, fmt, timers }) {
  let range = 'hour';
  const table = el('section', { class: 'card', id: 'zones' });
  const sharing = el('section', { class: 'card', id: 'sharing' });
  const chartBox = el('div', { id: 'zones-chart' });
  const buttons = el('div', { class: 'ranges' }, ...['hour', 'day', 'month'].map((r) =>
    el('button', { 'data-range': r, onclick: () => { range = r; refresh(); } }, 'last ' + r)));
  app.replaceChildren(el('h1', {}, 'Zones and sharing'), table,
    el('section', { class: 'card' }, el('h2', {}, 'Queries per second by zone'), buttons, chartBox), sharing);
  let plot = null;

  async function refresh() {
    const [z, h, x] = await Promise.all([api('GET', '/api/zones'), api('GET', '/api/history?range=' + range),
      api('GET', '/api/exchange')]);
    drawSharing(x);
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
        `class changes dropped at max_entries: ${fmt(z.data.entries_dropped)}.`),
      latencyTable(z.data.answers || {}));
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

  // The DNS server's answer latency (rampart_dns_answer_seconds), per transport.
  function latencyTable(answers) {
    const ms = (s) => (s === null || s === undefined ? 'over 1 s' : (s * 1000).toFixed(3) + ' ms');
    const rows = ['udp', 'tcp'].filter((t) => answers[t]).map((t) => el('tr', { 'data-transport': t },
      el('td', {}, t.toUpperCase()), el('td', { class: 'num answers-count' }, fmt(answers[t].count)),
      el('td', { class: 'num answers-mean' }, ms(answers[t].mean_s)),
      el('td', { class: 'num' }, '≤ ' + ms(answers[t].p50_le_s)), el('td', { class: 'num' }, '≤ ' + ms(answers[t].p99_le_s))));
    if (!rows.length) return el('p', { class: 'muted', id: 'answers-none' }, 'No DNS answers timed yet.');
    return el('div', {}, el('h2', {}, 'Answer latency (query in to answer out)'),
      el('table', { id: 'answers-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'transport'),
        el('th', { class: 'num' }, 'answers'), el('th', { class: 'num' }, 'mean'), el('th', { class: 'num' }, 'median'),
        el('th', { class: 'num' }, '99th percentile'))), el('tbody', {}, rows)));
  }

  // The sharing group: each member, its rights, and what it published and read per class.
  function drawSharing(x) {
    if (x.status !== 200) {
      sharing.replaceChildren(el('p', { class: 'error' }, `sharing: failed (${x.status})`));
      return;
    }
    if (!x.data.enabled) {
      sharing.replaceChildren(el('h2', {}, 'Sharing group'), el('p', { id: 'sharing-none' },
        'This rampartd is in no sharing group: set [exchange] (docs/guide.md, "Joining a sharing group").'));
      return;
    }
    const g = x.data.exchange;
    const when = (t) => (t ? new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'never');
    const rows = [];
    for (const m of g.members) {
      const classes = m.classes.length ? m.classes : [null];
      classes.forEach((c, i) => rows.push(el('tr', { 'data-member': m.name, 'data-class': c ? c.class : '' },
        i === 0 ? el('td', { rowspan: classes.length, class: 'member-name' },
          m.name + (m.self ? ' (this node)' : '') + (m.active ? '' : ' — revoked')) : null,
        el('td', {}, c ? c.class : '–'),
        el('td', { class: 'num member-published' }, c ? fmt(c.published_items) : '0'),
        el('td', { class: 'num' }, c ? fmt(c.published_batches) : '0'),
        el('td', {}, c ? when(c.last_published) : 'never'),
        el('td', { class: 'num member-read' }, c ? fmt(c.read_items) : '0'),
        el('td', {}, c ? when(c.last_read) : 'never'),
        i === 0 ? el('td', { rowspan: classes.length, class: 'num member-refused' }, fmt(m.refused)) : null)));
    }
    sharing.replaceChildren(el('h2', {}, `Sharing group ${g.group} (this node: ${g.self})`),
      el('table', { id: 'sharing-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'member'), el('th', {}, 'class'),
        el('th', { class: 'num' }, 'items published'), el('th', { class: 'num' }, 'batches'), el('th', {}, 'last published'),
        el('th', { class: 'num' }, 'items read from us'), el('th', {}, 'last read'), el('th', { class: 'num' }, 'refused'))),
      el('tbody', {}, rows)),
      el('p', { class: 'muted small' }, `Published: this node's own batches, and the batches of the others applied here; ` +
        `read: what each member pulled from this node. Counted from this node's audit log since ${when(g.since)} ` +
        '(its last 16 MiB read at start, then every line).'));
  }

  await refresh();
  timers.push(setInterval(refresh, 5000));
}
