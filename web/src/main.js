// rampart console: one small page per path, drawn from the JSON API of
// rampartd's console listener (src/console/console.h). No framework; every
// text from the server goes through textContent (never innerHTML).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { drawZombiesPage } from './zombies.js';
import { authCards, authChart } from './auth_rates.js';
import { drawZones } from './zones.js';
import { drawChannels } from './channels.js';
import { senderPlot } from './sender_plot.js';

const ROLES = { viewer: 1, operator: 2, admin: 3 };
const PAGES = [
  { path: '/live', title: 'Live', role: 'viewer', draw: drawLive },
  { path: '/senders', title: 'Senders', role: 'viewer', draw: drawSenders },
  { path: '/scan', title: 'Scan', role: 'operator', draw: drawScan },
  { path: '/zombies', title: 'Zombies', role: 'viewer', draw: drawZombies },
  { path: '/users', title: 'Users', role: 'admin', draw: drawUsers },
  { path: '/zones', title: 'Zones', role: 'viewer', draw: (app) => drawZones(app, { el, api, fmt, timers }) },
  { path: '/channels', title: 'Channels', role: 'viewer', draw: (app) => drawChannels(app, { el, api, fmt, timers }) },
];

let me = null; // { user, role, csrf }
const timers = [];

// el('div', {class: 'x'}, 'text', child...)
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(method, path, { body, headers = {} } = {}) {
  const h = { ...headers };
  if (method !== 'GET' && me) h['X-CSRF-Token'] = me.csrf;
  const r = await fetch(path, { method, headers: h, body, credentials: 'same-origin' });
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  if (r.status === 401 && path !== '/api/login') {
    location.assign('/login?next=' + encodeURIComponent(location.pathname.slice(1)));
    throw new Error('not logged in');
  }
  return { status: r.status, data };
}

function fmt(n) {
  if (n === null || n === undefined) return '–';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function drawHeader(current) {
  const top = document.getElementById('top');
  top.replaceChildren();
  if (!me) return;
  const nav = el('nav', {}, el('strong', { class: 'brand' }, 'rampart'));
  for (const p of PAGES) {
    if (ROLES[me.role] < ROLES[p.role]) continue;
    nav.append(el('a', { href: p.path, class: p.path === current ? 'active' : null, 'data-page': p.title }, p.title));
  }
  nav.append(el('span', { class: 'who', id: 'who' }, `${me.user} (${me.role})`),
    el('button', { id: 'logout', onclick: logout }, 'Log out'));
  top.append(nav);
}

async function logout() {
  await api('POST', '/api/logout');
  me = null;
  location.assign('/login');
}

function drawLogin(app) {
  document.getElementById('top').replaceChildren();
  const err = el('p', { class: 'error', id: 'login-error', role: 'alert' });
  const form = el('form', { id: 'login', class: 'card narrow' },
    el('h1', {}, 'rampart console'),
    el('label', {}, 'User', el('input', { name: 'user', id: 'user', autocomplete: 'username', required: true })),
    el('label', {}, 'Password', el('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    el('button', { type: 'submit' }, 'Log in'), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    const r = await api('POST', '/api/login', { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    if (r.status === 200) {
      const next = new URLSearchParams(location.search).get('next') || 'live';
      location.assign('/' + next.replace(/[^a-z]/g, ''));
    } else {
      err.textContent = (r.data && r.data.error) || `login failed (${r.status})`;
    }
  });
  app.replaceChildren(form);
}

// ---- Live ----
function card(id, label, value, note) {
  return el('div', { class: 'card stat', id }, el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value), note ? el('div', { class: 'muted small' }, note) : null);
}

async function drawLive(app) {
  let range = 'hour';
  const stats = el('section', { class: 'grid', id: 'live-stats' });
  const checks = el('section', { class: 'card' });
  const chartBox = el('div', { id: 'chart' });
  const buttons = el('div', { class: 'ranges' }, ...['hour', 'day', 'month'].map((r) =>
    el('button', { 'data-range': r, onclick: () => { range = r; refreshChart(); } }, 'last ' + r)));
  const authStats = el('section', { class: 'grid', id: 'auth-stats' });
  const authBox = el('div', { id: 'auth-chart' });
  app.replaceChildren(el('h1', {}, 'Live'), stats,
    el('section', { class: 'card' }, el('h2', {}, 'Messages per second by action'), buttons, chartBox),
    el('section', { class: 'card' }, el('h2', {}, 'Authentication pass rates'), authStats, authBox), checks);
  let plot = null;
  let authPlot = null;

  async function refreshNumbers() {
    const { status, data } = await api('GET', '/api/live');
    if (status !== 200) return;
    const v = data.verdicts || {};
    const total = Object.values(v).reduce((a, b) => a + b, 0);
    stats.replaceChildren(
      card('stat-total', 'Messages judged', el('span', { id: 'total-verdicts' }, fmt(total))),
      ...['accept', 'add_header', 'quarantine', 'tempfail', 'reject'].map((a) =>
        card('stat-' + a, a.replace('_', ' '), el('span', { id: 'verdict-' + a }, fmt(v[a] || 0)))),
      card('stat-throttled', 'Throttled', fmt(data.throttled), `${fmt(data.throttle_keys)} clients in the throttle`),
      card('stat-rep', 'Reputation events', fmt(data.reputation_events)),
      card('stat-zombies', 'Zombie incidents', data.zombies === null ? 'n/a' : fmt(data.zombies), data.zombies_note));
    authStats.replaceChildren(...authCards(el, fmt, data.auth));
    const rows = (data.checks || []).slice(0, 15).map((c) => el('tr', {},
      el('td', {}, c.check), el('td', { class: 'num' }, fmt(c.runs)), el('td', { class: 'num' }, fmt(c.hits)),
      el('td', { class: 'num' }, c.runs ? ((1 - c.hits / c.runs) * 100).toFixed(1) + ' %' : '–')));
    checks.replaceChildren(el('h2', {}, 'Checks by hits (top symbols\u2019 checks; authentication checks: share without a penalty)'),
      el('table', { id: 'checks' }, el('thead', {}, el('tr', {}, el('th', {}, 'check'), el('th', { class: 'num' }, 'runs'),
        el('th', { class: 'num' }, 'hits'), el('th', { class: 'num' }, 'no penalty'))), el('tbody', {}, rows)));
  }

  async function refreshChart() {
    const { status, data } = await api('GET', '/api/history?range=' + range);
    if (status !== 200) return;
    for (const b of buttons.children) b.classList.toggle('active', b.dataset.range === range);
    const names = Object.keys(data.series).filter((k) => k.startsWith('verdicts.'));
    const series = [{}].concat(names.map((n, i) => ({ label: n.slice(9), stroke: `hsl(${(i * 67) % 360} 60% 45%)`, width: 2 })));
    const rows = [data.t].concat(names.map((n) => data.series[n]));
    if (plot) plot.destroy();
    if (authPlot) authPlot.destroy();
    const span = { hour: 3600, day: 86400, month: 30 * 86400 }[range];
    authPlot = authChart(authBox, Math.min(900, app.clientWidth - 40), data, span);
    chartBox.replaceChildren();
    if (data.t.length === 0) {
      chartBox.append(el('p', { class: 'muted' }, `No samples yet: rampartd samples its metrics every ${data.step} s.`));
      plot = null;
      return;
    }
    // The whole window on the x axis (the hour, day or month up to now), however few points there are.
    const now = Date.now() / 1000;
    plot = new uPlot({ width: Math.min(900, app.clientWidth - 40), height: 260, series,
      axes: [{}, { label: 'msg/s' }],
      scales: { x: { time: true, range: () => [now - span, now] }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } } },
    rows, chartBox);
  }

  await refreshNumbers();
  await refreshChart();
  timers.push(setInterval(refreshNumbers, 2000), setInterval(refreshChart, 10000));
}

// ---- Senders ----
function drawSenders(app) {
  const out = el('section', { id: 'sender-result' });
  const input = el('input', { id: 'sender-q', name: 'q', placeholder: '192.0.2.1, 198.51.100.0/24, example.com, dkim:example.com, +12025550100, sms:+447700900123', size: 50 });
  const form = el('form', { class: 'card', id: 'sender-form' }, el('label', {}, 'Identity ', input), el('button', { type: 'submit' }, 'Look up'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { status, data } = await api('GET', '/api/senders?q=' + encodeURIComponent(input.value));
    if (status !== 200) {
      out.replaceChildren(el('p', { class: 'error' }, (data && data.error) || `lookup failed (${status})`));
      return;
    }
    const rep = data.report || {};
    const plotBox = el('div', { id: 'sender-plot' });
    // Decayed counters by window (the store's own windows, in its order).
    const counters = rep.counters || {};
    const windows = [];
    for (const [k, v] of Object.entries(counters)) {
      if (k !== 'at' && v && typeof v === 'object') for (const w of Object.keys(v)) if (!windows.includes(w)) windows.push(w);
    }
    const rows = [el('tr', {}, el('th', {}, 'counter'), ...windows.map((w) => el('th', { class: 'num' }, w)))];
    for (const [k, v] of Object.entries(counters)) {
      if (k === 'at' || !v || typeof v !== 'object') continue;
      rows.push(el('tr', { class: Object.values(v).some((x) => x > 0) ? 'nonzero' : 'zero' }, el('td', {}, k),
        ...windows.map((w) => el('td', { class: 'num' }, fmt(v[w] || 0)))));
    }
    out.replaceChildren(el('div', { class: 'card' },
      el('h2', {}, data.id),
      el('p', {}, 'Class: ', el('strong', { id: 'sender-class' }, rep.class || 'unknown'), `  score ${fmt(rep.score)}`),
      el('h3', {}, 'Reasons'), el('ul', { id: 'sender-reasons' }, (rep.reasons || []).map((r) => el('li', {}, r))),
      el('h3', {}, 'Counters'), el('table', { id: 'sender-counters' }, el('tbody', {}, rows)),
      el('h3', {}, 'History'), plotBox,
      el('p', { class: 'muted small' }, data.history)),
      // The same number on another channel (a caller looked up is an SMS sender too).
      ...(data.also || []).map((o) => el('div', { class: 'card sender-also' },
        el('h2', {}, o.id),
        el('p', {}, 'Class: ', el('strong', { class: 'sender-also-class' }, (o.report || {}).class || 'unknown'), `  score ${fmt((o.report || {}).score)}`),
        el('ul', {}, ((o.report || {}).reasons || []).map((r) => el('li', {}, r))))));
    senderPlot(plotBox, Math.min(900, app.clientWidth - 40), data.days);
  });
  app.replaceChildren(el('h1', {}, 'Senders'), form, out);
}

// ---- Scan ----
function drawScan(app) {
  const f = (name, label, value = '') => el('label', {}, label, el('input', { name, id: 'scan-' + name, value }));
  const msg = el('textarea', { id: 'scan-message', rows: 12, cols: 80, placeholder: 'Paste a message (headers and body)' });
  const out = el('section', { id: 'scan-result' });
  const form = el('form', { class: 'card', id: 'scan-form' },
    el('div', { class: 'row' }, f('ip', 'Client IP ', '192.0.2.1'), f('helo', 'HELO ', 'mail.example.com'),
      f('from', 'MAIL FROM ', ''), f('rcpt', 'RCPT TO ', '')),
    msg, el('p', { class: 'muted small' }, 'Look only: this scan records no reputation event.'),
    el('button', { type: 'submit' }, 'Scan'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (n) => form.querySelector('#scan-' + n).value.trim();
    const headers = { 'Content-Type': 'message/rfc822', 'X-Client-IP': v('ip') };
    if (v('helo')) headers['X-Helo'] = v('helo');
    if (v('from')) headers['X-Mail-From'] = v('from');
    if (v('rcpt')) headers['X-Rcpt-To'] = v('rcpt');
    const text = msg.value.replace(/\r?\n/g, '\r\n');
    const { status, data } = await api('POST', '/api/scan', { body: text, headers });
    if (status !== 200) {
      out.replaceChildren(el('p', { class: 'error' }, (data && data.error) || `scan failed (${status})`));
      return;
    }
    out.replaceChildren(el('div', { class: 'card' },
      el('h2', {}, 'Verdict: ', el('span', { id: 'scan-action', class: 'action-' + data.action }, data.action), ` (score ${data.score})`),
      data.smtp_reply ? el('p', {}, el('code', {}, data.smtp_reply)) : null,
      el('table', { id: 'scan-symbols' }, el('thead', {}, el('tr', {}, el('th', {}, 'symbol'), el('th', {}, 'score'), el('th', {}, 'reason'))),
        el('tbody', {}, (data.symbols || []).map((s) => el('tr', {}, el('td', {}, s.name), el('td', { class: 'num' }, s.score), el('td', {}, s.reason))))),
      el('h3', {}, 'Authentication-Results'), el('pre', { id: 'scan-authres' }, data.authentication_results || '(none)')));
  });
  app.replaceChildren(el('h1', {}, 'Scan'), form, out);
}

// ---- Zombies (web/src/zombies.js) ----
async function drawZombies(app) {
  return drawZombiesPage(app, { el, api, me });
}

// ---- Users ----
async function drawUsers(app) {
  const list = el('tbody');
  const err = el('p', { class: 'error', id: 'users-error' });
  async function reload() {
    const { data } = await api('GET', '/api/users');
    list.replaceChildren(...(data.users || []).map((u) => el('tr', {}, el('td', {}, u.user), el('td', {}, u.role),
      el('td', {}, u.user === me.user ? '' : el('button', { onclick: async () => {
        const r = await api('POST', '/api/users/delete', { body: new URLSearchParams({ user: u.user }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
        err.textContent = r.status === 200 ? '' : (r.data && r.data.error) || 'failed';
        reload();
      } }, 'Delete')))));
  }
  const form = el('form', { class: 'card', id: 'user-form' },
    el('label', {}, 'Name ', el('input', { name: 'user', required: true })),
    el('label', {}, 'Role ', el('select', { name: 'role' }, ...Object.keys(ROLES).map((r) => el('option', { value: r }, r)))),
    el('label', {}, 'Password ', el('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true })),
    el('button', { type: 'submit' }, 'Add'), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/users', { body: new URLSearchParams(new FormData(form)), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    err.textContent = r.status === 200 ? '' : (r.data && r.data.error) || 'failed';
    if (r.status === 200) form.reset();
    reload();
  });
  // rampartd's log level at run time (as PUT /v1/log-level or SIGUSR1/SIGUSR2).
  const levelNow = el('strong', { id: 'log-level' }, '…');
  const levelMsg = el('span', { class: 'muted small', id: 'log-level-msg' });
  const levelSel = el('select', { id: 'log-level-select', name: 'level' },
    ...['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'].map((l) => el('option', { value: l }, l)));
  const levelForm = el('form', { class: 'card', id: 'log-level-form' }, el('h2', {}, 'Log level'),
    el('p', {}, 'Now: ', levelNow), el('label', {}, 'Set to ', levelSel), el('button', { type: 'submit' }, 'Set'), levelMsg);
  levelForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/log-level', { body: new URLSearchParams({ level: levelSel.value }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    levelMsg.textContent = r.status === 200 ? ` changed from ${r.data.previous}` : ` ${(r.data && r.data.error) || 'failed'} (${r.status})`;
    if (r.status === 200) levelNow.textContent = r.data.level;
  });
  app.replaceChildren(el('h1', {}, 'Users'), el('table', { class: 'card', id: 'users' },
    el('thead', {}, el('tr', {}, el('th', {}, 'user'), el('th', {}, 'role'), el('th'))), list), form, levelForm);
  await reload();
  const lv = await api('GET', '/api/log-level');
  if (lv.status === 200) levelNow.textContent = lv.data.level;
}

async function main() {
  const app = document.getElementById('app');
  const path = location.pathname;
  if (path === '/login') return drawLogin(app);
  const r = await api('GET', '/api/me');
  if (r.status !== 200) return;
  me = r.data;
  const page = PAGES.find((p) => p.path === path) || PAGES[0];
  drawHeader(page.path);
  if (ROLES[me.role] < ROLES[page.role]) {
    app.replaceChildren(el('div', { class: 'card', id: 'forbidden' }, el('h1', {}, '403 Forbidden'),
      el('p', {}, `The ${me.role} role may not use ${page.title} (it needs ${page.role}).`)));
    return;
  }
  await page.draw(app);
}

window.addEventListener('beforeunload', () => timers.forEach(clearInterval));
main().catch((e) => console.error(e));
