// Live page: authentication pass rates (SPF, DKIM, DMARC, ARC) from
// rampart_auth_results_total, now (cards) and over the chosen range (a uPlot
// chart of pass / all from rampartd's own history: auth.<method>.pass and
// auth.<method>.all, in messages per second).
import uPlot from 'uplot';

export const AUTH_METHODS = ['spf', 'dkim', 'dmarc', 'arc'];

function pct(pass, all) {
  return all > 0 ? (100 * pass / all).toFixed(1) + ' %' : '–';
}

// The cards: pass rate since start, with the count of messages and the other results.
export function authCards(el, fmt, auth) {
  return AUTH_METHODS.map((m) => {
    const r = (auth && auth[m]) || {};
    const all = Object.values(r).reduce((a, b) => a + b, 0);
    const others = Object.entries(r).filter(([k, v]) => k !== 'pass' && v > 0).map(([k, v]) => `${k} ${fmt(v)}`);
    return el('div', { class: 'card stat', id: 'auth-' + m },
      el('div', { class: 'label' }, m.toUpperCase() + ' pass'),
      el('div', { class: 'value' }, el('span', { id: 'auth-' + m + '-rate' }, pct(r.pass || 0, all))),
      el('div', { class: 'muted small' }, `${fmt(all)} messages` + (others.length ? ': ' + others.join(', ') : '')));
  });
}

// The chart over the range: per point, pass / all in percent (null where no mail).
export function authChart(box, width, hist, span) {
  const names = AUTH_METHODS.filter((m) => hist.series['auth.' + m + '.all']);
  box.replaceChildren();
  if (hist.t.length === 0 || names.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'No authentication results in this range yet.';
    box.append(p);
    return null;
  }
  const rows = [hist.t].concat(names.map((m) => {
    const all = hist.series['auth.' + m + '.all'];
    const pass = hist.series['auth.' + m + '.pass'] || [];
    return all.map((a, i) => (a > 0 ? 100 * (pass[i] || 0) / a : null));
  }));
  const series = [{}].concat(names.map((m, i) => ({ label: m.toUpperCase(), stroke: `hsl(${(i * 89 + 200) % 360} 60% 40%)`, width: 2, spanGaps: true, points: { show: true, size: 5 } })));
  const now = Date.now() / 1000;
  return new uPlot({ width, height: 200, series, axes: [{}, { label: 'pass %' }],
    scales: { x: { time: true, range: () => [now - span, now] }, y: { range: () => [0, 100] } } }, rows, box);
}
