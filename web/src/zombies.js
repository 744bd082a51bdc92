// The Zombies page: bot incidents from rampartd's flow collector
// (GET /api/zombies), with the evidence that triggered each (in words and
// figures) and its action; an operator releases or extends one with a
// reason (POST /api/zombies/release|extend, CSRF token as every POST).
// `el`, `api` and `me` come from main.js; every text goes through textContent.

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

function when(t) {
  return t ? new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '–';
}

export async function drawZombiesPage(app, { el, api, me }) {
  const { status, data } = await api('GET', '/api/zombies');
  const body = el('section', { class: 'card', id: 'zombies' });
  app.replaceChildren(el('h1', {}, 'Zombies'), body);
  if (status !== 200) return body.append(el('p', { class: 'error' }, `failed (${status})`));
  if (!data.available) return body.append(el('p', { id: 'zombies-reason' }, data.reason));
  const operator = me && (me.role === 'operator' || me.role === 'admin');
  const active = data.incidents.filter((i) => i.state === 'open' || i.state === 'extended');
  body.append(el('p', { id: 'zombies-count' }, `${active.length} open incidents, ${data.incidents.length} kept`));
  const msg = el('p', { id: 'zombie-msg', class: 'small' });
  const table = el('table', { id: 'zombies-table' },
    el('thead', {}, el('tr', {}, ['#', 'host', 'state', 'action', 'until', 'evidence', 'by hand', ''].map((h) => el('th', {}, h)))));
  const tbody = el('tbody');
  for (const inc of data.incidents) {
    const figures = Object.entries(inc.evidence || {}).filter(([k]) => !k.startsWith('term_'))
      .map(([k, v]) => `${k}=${v}`).join(' ');
    const cell = el('td');
    if (operator && (inc.state === 'open' || inc.state === 'extended')) {
      const reason = el('input', { class: 'zombie-reason', placeholder: 'reason', 'aria-label': `reason for incident ${inc.id}` });
      const change = async (what) => {
        const form = { id: String(inc.id), reason: reason.value };
        const r = await api('POST', `/api/zombies/${what}`, { body: new URLSearchParams(form), headers: FORM });
        if (r.status === 200) return drawZombiesPage(app, { el, api, me });
        msg.className = 'small error';
        msg.textContent = `${what} refused (${r.status}): ${(r.data && r.data.error) || ''}`;
      };
      cell.append(reason,
        el('button', { type: 'button', class: 'zombie-release', onclick: () => change('release') }, 'Release'),
        el('button', { type: 'button', class: 'zombie-extend', onclick: () => change('extend') }, 'Extend'));
    }
    tbody.append(el('tr', { 'data-id': String(inc.id), 'data-host': inc.host },
      el('td', {}, String(inc.id)),
      el('td', { class: 'zombie-host' }, `${inc.host} (${inc.kind})`),
      el('td', { class: 'zombie-state' }, inc.state),
      el('td', {}, inc.action),
      el('td', {}, when(inc.expires)),
      el('td', {}, el('div', { class: 'zombie-summary' }, inc.summary), el('div', { class: 'small muted' }, figures)),
      el('td', { class: 'small' }, inc.who ? `${inc.who}: ${inc.reason}` : ''),
      cell));
  }
  table.append(tbody);
  body.append(msg, table);
}
