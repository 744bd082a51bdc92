// web/test/e2e.mjs — the console in a real browser (Debian's chromium,
// driven by playwright-core) against a real rampartd on free loopback ports.
//
//   RAMPARTD_BIN=build/apps/rampartd/rampartd RAMPART_BIN=build/apps/rampart/rampart \
//   RAMPART_WEB_DIR=build/web CHROMIUM=/usr/bin/chromium SHOTS=build/console-screenshots \
//   node web/test/e2e.mjs
//
// Steps (each asserts; any failure exits 1 with rampartd's log):
//  (the Live chart is drawn from rampartd's in-memory history, sampled every second here)
//  1. accounts made with `rampart user add` (password on stdin), an API token with `rampart token new`;
//  2. without a session: /live redirects to /login, /api/live answers 401;
//  3. admin logs in through the form; the Live numbers move while messages are scanned through /v1/scan;
//     the SPF and DMARC pass rates (rampart_auth_results_total) show on Live, with their chart;
//  4. Senders: an address with bot events (POST /v1/events) shows class "spammer"; the scanned
//     client and MAIL FROM domain have today's messages in their plot (rampartd's sender history);
//  5. Scan page: a pasted message gets its symbols and Authentication-Results, and records no reputation event;
//  6. Zombies: shows why there is nothing to release (no flow collector in rampartd);
//     Zones: the live zone answers over DNS; its serial, entries and queries show, with their chart;
//  7. a cross-site form POST (another origin, same site) to /api/users is refused and adds nobody;
//  8. a viewer gets 403 for the Scan page and for POST /api/scan, even with its CSRF token; deleting
//     her with `rampart user del` ends her open session;
//  9. repeated wrong passwords: 429;
// 10. a second rampartd whose console speaks TLS: login works, the cookie is __Host- and Secure;
// 11. at SIGTERM the first one saves its history to <data-dir>/console/history.
// Screenshots of each page go to $SHOTS.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { env, fail, check, until, dnsRcode, stopProcess } from './support.mjs';

const RAMPARTD = env('RAMPARTD_BIN'), RAMPART = env('RAMPART_BIN'), WEB = env('RAMPART_WEB_DIR');
const CHROME = env('CHROMIUM'), SHOTS = env('SHOTS');
mkdirSync(SHOTS, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'rampart-console-e2e-'));
const started = Date.now();
let daemon = null, daemon2 = null, browser = null, evil = null, log = '';


function cli(args, input) {
  const r = spawnSync(RAMPART, args, { input, encoding: 'utf8' });
  if (r.status !== 0) fail(`rampart ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function startDaemon() {
  const users = join(tmp, 'users');
  cli(['user', 'add', 'alice', '--role', 'admin', '--file', users], 'alice password 1\n');
  cli(['user', 'add', 'oscar', '--role', 'operator', '--file', users], 'oscar password 1\n');
  cli(['user', 'add', 'vera', '--role', 'viewer', '--file', users], 'vera password 1\n');
  const listed = cli(['user', 'list', '--file', users]);
  check(listed === 'alice admin\noscar operator\nvera viewer\n', '`rampart user list` shows the three accounts');
  check(!readFileSync(users, 'utf8').includes('password 1'), 'the users file holds hashes, not passwords');
  const tok = cli(['token', 'new', 'e2e', '--rights', 'scan,read,events']);
  const token = tok.split('\n')[0];
  const config = join(tmp, 'rampart.toml');
  writeFileSync(join(tmp, 'zone'), '$ORIGIN good.test.\n$TTL 300\n@ TXT "v=spf1 ip4:192.0.2.0/24 -all"\n_dmarc TXT "v=DMARC1; p=none"\n');
  const dns = await freePort();  // the live zones' DNS server (UDP and TCP)
  writeFileSync(config, tok.slice(tok.indexOf('[[http.tokens]]')) +
    `[reputation]\nsync = false\n[console]\nenabled = true\nlisten = "127.0.0.1:0"\nassets = "${WEB}"\nusers = "${users}"\nlogin_max_failures = 4\nsample_s = 1\n` +
    `[dnsbl]\nlisten = ["127.0.0.1:${dns}"]\nrebuild_ms = 200\n[[dnsbl.zones]]\nname = "bl.test"\ncodes = { spammer = "127.0.0.2", bot = "127.0.0.4" }\n`);
  const { child, ports } = await spawnDaemon(config, 'data');
  daemon = child;
  return { ...ports, token, users, dns };
}

// A free loopback port (bound and released: the port-0 rule for a listener rampartd does not print).
function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}
// One DNS query over UDP (RFC 1035 4.1): resolves to the answer's rcode, or null after 3 s.
// rampartd with CONFIG and a data directory of its own; resolves to its ports once ready.
async function spawnDaemon(config, dataDir) {
  mkdirSync(join(tmp, dataDir));
  const child = spawn(RAMPARTD, ['--config', config, '--milter', '127.0.0.1:0', '--http', '127.0.0.1:0',
    '--zone', join(tmp, 'zone'), '--data-dir', join(tmp, dataDir)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { log += d; });
  const ports = await until('rampartd: ready', () => {
    if (child.exitCode !== null) fail(`rampartd exited ${child.exitCode}`);
    if (!out.includes('rampartd: ready')) return null;
    const http = /rampartd: http [^:]+:(\d+)/.exec(out), con = /rampartd: console [^:]+:(\d+)/.exec(out);
    if (!http || !con) fail(`no ports in: ${out}`);
    return { http: Number(http[1]), console: Number(con[1]) };
  }, 20000);
  return { child, ports };
}

// 10. The console over TLS (a self-signed certificate from the openssl command): Secure __Host- cookie.
async function tlsPhase(users) {
  const crt = join(tmp, 'console.crt'), key = join(tmp, 'console.key');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=localhost'], { encoding: 'utf8' });
  if (r.status !== 0) fail(`openssl req: ${r.stderr}`);
  const config = join(tmp, 'tls.toml');
  writeFileSync(config, `[server]\nhttp_header_timeout_s = 1\n` +
    `[console]\nenabled = true\nlisten = "127.0.0.1:0"\nassets = "${WEB}"\nusers = "${users}"\n` +
    `tls_cert = "${crt}"\ntls_key = "${key}"\n`);
  const { child, ports } = await spawnDaemon(config, 'data-tls');
  daemon2 = child;
  const base = `https://127.0.0.1:${ports.console}`;
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/live`);
  check(new URL(page.url()).pathname === '/login', 'over TLS, without a session /live leads to /login');
  await page.fill('#user', 'oscar');
  await page.fill('#password', 'oscar password 1');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/live`);
  await page.waitForSelector('#total-verdicts');
  const c = (await ctx.cookies()).find((x) => x.name === '__Host-rampart_session');
  check(c && c.secure && c.httpOnly && c.sameSite === 'Strict', 'over TLS the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict');
  await page.screenshot({ path: join(SHOTS, 'live-tls.png') });
  let plainFailed = false;
  try {
    await fetch(`http://127.0.0.1:${ports.console}/login`, { signal: AbortSignal.timeout(5000) });
  } catch { plainFailed = true; }
  check(plainFailed, 'plain HTTP to the TLS listener gets no answer');
  // A client that connects and never starts the handshake is closed at the header deadline (1 s here).
  const t0 = Date.now();
  const closedAfter = await new Promise((resolve) => {
    const s = connect(ports.console, '127.0.0.1');
    const deadline = setTimeout(() => { s.destroy(); resolve(null); }, 8000);
    s.on('close', () => { clearTimeout(deadline); resolve(Date.now() - t0); });
    s.on('error', () => {});
  });
  check(closedAfter !== null && closedAfter < 5000, `a silent TLS client is closed after ${closedAfter} ms`);
  await ctx.close();
}

async function main() {
  const { http, console: cport, token, users: usersFile, dns } = await startDaemon();
  const base = `http://127.0.0.1:${cport}`;
  const auth = { Authorization: `Bearer ${token}` };
  const metric = async (name) => {
    const t = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    let sum = 0;
    for (const line of t.split('\n')) if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.split(' ').pop());
    return sum;
  };
  const scan = (n) => fetch(`http://127.0.0.1:${http}/v1/scan`, { method: 'POST', headers: { ...auth,
    'X-Client-IP': '192.0.2.10', 'X-Helo': 'mx.good.test', 'X-Mail-From': 'a@good.test', 'X-Rcpt-To': 'b@example.net' },
    body: `From: a@good.test\r\nTo: b@example.net\r\nSubject: e2e ${n}\r\nMessage-ID: <${n}@good.test>\r\n\r\nhello ${n}\r\n` });

  browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox', '--disable-gpu'] });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await ctx.newPage();
  const cspErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') cspErrors.push(m.text()); });

  // 2. No session.
  let resp = await page.goto(`${base}/live`);
  check(new URL(page.url()).pathname === '/login', 'without a session /live leads to /login');
  check((await page.request.get(`${base}/api/live`)).status() === 401, 'without a session /api/live is 401');
  await page.screenshot({ path: join(SHOTS, 'login.png') });

  // 3. Log in (the form), Live numbers move while mail is scanned.
  await page.fill('#user', 'alice');
  await page.fill('#password', 'alice password 1');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/live`);
  await page.waitForSelector('#total-verdicts');
  const cookies = await ctx.cookies();
  const sc = cookies.find((c) => c.name === 'rampart_session');
  check(sc && sc.httpOnly && sc.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
  const before = Number(await page.textContent('#total-verdicts'));
  for (let i = 0; i < 5; i++) check((await scan(i)).status === 200, `scan ${i} through /v1/scan`);
  const after = await until('the Live total to move', async () => {
    const v = Number(await page.textContent('#total-verdicts'));
    return v >= before + 5 ? v : null;
  });
  check(after >= before + 5, `Live "Messages judged" went from ${before} to ${after}`);
  // The chart: rampartd's own history (sampled every second here), drawn by uPlot.
  await until('the history chart', async () => {
    await page.click('button[data-range=hour]');
    return (await page.$('#chart canvas')) && (await page.textContent('#chart')).includes('accept');
  });
  const hist = await (await page.request.get(`${base}/api/history?range=hour`)).json();
  const acceptRate = Math.max(...(hist.series['verdicts.accept'] || [0]));
  check(acceptRate > 0, `the hour's history has a non-zero accept rate (${acceptRate} msg/s)`);
  // 3b. Authentication pass rates: the five scans pass SPF (the zone's record) and DMARC (aligned SPF).
  const spfPass = await metric('rampart_auth_results_total{method="spf",result="pass"}');
  check(spfPass >= 5, `rampart_auth_results_total{method="spf",result="pass"} counts the scans (${spfPass})`);
  const spfRate = await until('the SPF pass rate on Live', async () => {
    const t = await page.textContent('#auth-spf-rate');
    return t && t.endsWith('%') ? t : null;
  });
  check(spfRate === '100.0 %', `Live shows an SPF pass rate of ${spfRate}`);
  check((await page.textContent('#auth-dmarc-rate')) === '100.0 %', 'Live shows a DMARC pass rate of 100.0 %');
  await until('the pass-rate chart', async () => {
    await page.click('button[data-range=day]');
    return (await page.$('#auth-chart canvas')) && (await page.textContent('#auth-chart')).includes('SPF');
  });
  const histDay = await (await page.request.get(`${base}/api/history?range=day`)).json();
  check((histDay.series['auth.spf.all'] || []).some((v) => v > 0), 'the day\'s history holds the SPF results');
  await page.click('button[data-range=hour]');
  await page.screenshot({ path: join(SHOTS, 'live.png'), fullPage: true });

  // 4. Senders: bot events make 198.51.100.77 a spammer.
  const now = Math.floor(Date.now() / 1000);
  const ev = Array.from({ length: 3 }, () => JSON.stringify({ time: now, type: 'bot', ip: '198.51.100.77' })).join('\n') + '\n';
  const er = await fetch(`http://127.0.0.1:${http}/v1/events`, { method: 'POST', headers: auth, body: ev });
  check(er.status === 200, 'three bot events posted to /v1/events');
  await page.click('a[data-page=Senders]');
  await page.waitForURL(`${base}/senders`);
  await page.fill('#sender-q', '198.51.100.77');
  await page.click('#sender-form button');
  await page.waitForSelector('#sender-class');
  check((await page.textContent('#sender-class')) === 'spammer', 'Senders shows 198.51.100.77 as spammer');
  check((await page.textContent('#sender-reasons')).includes('BOT_DETECTED'), 'with the reason BOT_DETECTED');
  check((await page.$('#sender-plot-none')) !== null, 'a sender rampartd decided no mail from has no plot');
  // Its history as a plot: the five scans of step 3 came from 192.0.2.10 and good.test.
  await page.fill('#sender-q', '192.0.2.10');
  await page.click('#sender-form button');
  await page.waitForSelector('#sender-plot canvas');
  check((await page.textContent('#sender-plot')).includes('messages'), 'Senders plots 192.0.2.10\'s messages a day');
  const sh = await (await page.request.get(`${base}/api/senders?q=192.0.2.10`)).json();
  const today = Math.floor(Date.now() / 86400000);
  check(sh.days.length === 1 && sh.days[0][0] === today && sh.days[0][1] >= 5,
    `/api/senders has today's count for 192.0.2.10 (${JSON.stringify(sh.days)})`);
  const dh = await (await page.request.get(`${base}/api/senders?q=good.test`)).json();
  check(dh.days.length === 1 && dh.days[0][1] >= 5, `and for the MAIL FROM domain good.test (${JSON.stringify(dh.days)})`);
  await page.screenshot({ path: join(SHOTS, 'senders.png'), fullPage: true });

  // 5. Scan page, look only.
  // The five scans' events (written on the 100 ms flush) and the three bot events: all counted first.
  const repBefore = await until('the earlier events to be written', async () => {
    const v = await metric('rampart_reputation_events_total');
    return v >= 8 ? v : null;
  });
  await page.click('a[data-page=Scan]');
  await page.waitForURL(`${base}/scan`);
  await page.fill('#scan-from', 'a@good.test');
  await page.fill('#scan-rcpt', 'b@example.net');
  await page.fill('#scan-message', 'From: a@good.test\nTo: b@example.net\nSubject: console scan\n\nhello\n');
  await page.click('#scan-form button');
  await page.waitForSelector('#scan-action');
  const authres = await page.textContent('#scan-authres');
  check(/spf=pass/.test(authres), `Scan shows Authentication-Results (${authres.trim().slice(0, 60)}...)`);
  check((await page.$$('#scan-symbols tbody tr')).length > 0, 'Scan lists the symbols');
  await page.screenshot({ path: join(SHOTS, 'scan.png'), fullPage: true });
  // The regular scans were recorded (sync = false: written on the 100 ms flush); the console's was not.
  await scan(99);
  const repAfterReal = await until('the real scan\'s event', async () => {
    const v = await metric('rampart_reputation_events_total');
    return v > repBefore ? v : null;
  });
  check(repAfterReal === repBefore + 1, `one event for one real scan, none for the look-only console scan (${repBefore} -> ${repAfterReal})`);
  // The store agrees: the console scan's client (192.0.2.1) has no volume, the real scans' (192.0.2.10) has.
  const volume = async (ip) => {
    const rep = await (await fetch(`http://127.0.0.1:${http}/v1/reputation/ip:${ip}?counters=1`, { headers: auth })).json();
    return Object.values((rep.counters && rep.counters.volume) || {}).reduce((a, b) => a + b, 0);
  };
  check(await volume('192.0.2.10') > 0 && await volume('192.0.2.1') === 0, 'the look-only scan\'s client has no volume in the store');

  // 6. Zombies.
  await page.click('a[data-page=Zombies]');
  await page.waitForSelector('#zombies-reason');
  check((await page.textContent('#zombies-reason')).includes('no flow collector'), 'Zombies says why there is nothing to release');
  await page.screenshot({ path: join(SHOTS, 'zombies.png'), fullPage: true });

  // 6b. Zones: rampartd's live zone bl.test answers over DNS; the Zones page shows its serial,
  // entries and the queries counted, with the queries-per-second chart from the history.
  check((await fetch(`${base}/api/zones`)).status === 401, 'without a session /api/zones is 401');
  check(await until('the live zone to answer', async () => (await dnsRcode(dns, '2.0.0.127.bl.test')) === 0),
    'bl.test lists its RFC 5782 test entry 127.0.0.2 (NOERROR)');
  check(await dnsRcode(dns, '1.1.1.1.bl.test') === 3, 'bl.test does not list 1.1.1.1 (NXDOMAIN)');
  await page.click('a[data-page=Zones]');
  await page.waitForURL(`${base}/zones`);
  const zoneRow = 'tr[data-zone="bl.test"]';
  const zq = await until('the Zones page to count the queries', async () => {
    await page.reload();
    await page.waitForSelector(zoneRow);
    const q = Number(await page.textContent(`${zoneRow} .zone-queries`));
    return q >= 2 ? q : null;
  });
  check(zq >= 2, `Zones counts ${zq} queries for bl.test`);
  const serial = Number(await page.textContent(`${zoneRow} .zone-serial`));
  check(serial > 0, `Zones shows bl.test's serial ${serial}`);
  const zapi = await (await page.request.get(`${base}/api/zones`)).json();
  check(zapi.zones.some((z) => z.zone === 'bl.test' && z.nxdomain >= 1), '/api/zones counts the NXDOMAIN answer');
  await until('the zones chart', async () => {
    await page.click('button[data-range=hour]');
    return (await page.$('#zones-chart canvas')) && (await page.textContent('#zones-chart')).includes('bl.test');
  });
  await page.screenshot({ path: join(SHOTS, 'zones.png'), fullPage: true });
  await page.click('a[data-page=Users]');
  await page.waitForSelector('#users tbody tr');
  await page.screenshot({ path: join(SHOTS, 'users.png'), fullPage: true });

  // 7. CSRF: a page on another origin (same site: 127.0.0.1, another port) posts a form to /api/users.
  evil = createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<form id=f method=POST action="${base}/api/users"><input name=user value=mallory>` +
      `<input name=role value=admin><input name=password value="mallory password 1"></form>` +
      `<script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const evilPort = evil.address().port;
  const attack = page.waitForResponse((r) => r.url() === `${base}/api/users` && r.request().method() === 'POST');
  await page.goto(`http://127.0.0.1:${evilPort}/`);
  const ar = await attack;
  check(ar.status() === 403, `the cross-site POST to /api/users is refused (${ar.status()}: ${(await ar.text()).trim()})`);
  const users = await page.request.get(`${base}/api/users`);
  check(!(await users.text()).includes('mallory'), 'and no user was added');
  await page.goto(`${base}/live`);
  await page.click('#logout');
  await page.waitForURL(/\/login/);
  check((await page.request.get(`${base}/api/me`)).status() === 401, 'after logout /api/me is 401');

  // 8. A viewer: 403 for the Scan page and for POST /api/scan with its own CSRF token.
  await page.fill('#user', 'vera');
  await page.fill('#password', 'vera password 1');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/live`);
  check((await page.$('a[data-page=Scan]')) === null, 'the viewer\'s menu has no Scan');
  resp = await page.goto(`${base}/scan`);
  check(resp.status() === 403, 'the viewer gets 403 for /scan');
  await page.waitForSelector('#forbidden');
  await page.screenshot({ path: join(SHOTS, 'forbidden.png') });
  const st = await page.evaluate(async () => {
    const me = await (await fetch('/api/me')).json();
    const r = await fetch('/api/scan', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf, 'X-Client-IP': '192.0.2.1' }, body: 'x' });
    return r.status;
  });
  check(st === 403, 'the viewer gets 403 for POST /api/scan');
  const rel = await page.evaluate(async () => {
    const me = await (await fetch('/api/me')).json();
    return (await fetch('/api/zombies/release', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf } })).status;
  });
  check(rel === 403, 'the viewer gets 403 for POST /api/zombies/release');
  // `rampart user del` while vera is logged in: rampartd notices the file and ends her session.
  cli(['user', 'del', 'vera', '--file', usersFile]);
  await until('vera\'s session to end', async () => (await page.request.get(`${base}/api/me`)).status() === 401);
  check(true, '`rampart user del vera` ended her open session');

  // 9. Login rate limit (last: it locks 127.0.0.1 out for login_window_s).
  let last = 0;
  for (let i = 0; i < 5; i++) {
    last = (await fetch(`${base}/api/login`, { method: 'POST', headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'user=oscar&password=wrong' })).status;
  }
  check(last === 429, 'the fifth wrong password in a row is 429');

  await tlsPhase(usersFile);

  // 11. At stop, rampartd keeps the history in its data directory.
  const stopped = new Promise((r) => daemon.on('exit', r));
  daemon.kill('SIGTERM');
  await stopped;
  const saved = readFileSync(join(tmp, 'data', 'console', 'history'), 'utf8');
  check(saved.startsWith('rampart-history 1\n') && /\ns verdicts\.accept [0-9.e+-]+/.test(saved),
    'rampartd saved the history to <data-dir>/console/history at stop');
  const senders = readFileSync(join(tmp, 'data', 'console', 'senders'), 'utf8');
  check(senders.startsWith('rampart-senders 1\n') && /\nip:192\.0\.2\.10 \d+:\d+,\d+,\d+\n/.test(senders),
    'and the sender history to <data-dir>/console/senders');

  check(cspErrors.filter((e) => /Content Security Policy/i.test(e)).length === 0, `no CSP violations (${cspErrors.join('; ')})`);
  console.log(`e2e: passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
}

let rc = 0;
try {
  await main();
} catch (e) {
  rc = 1;
  console.error(e.stack || e);
  console.error('--- rampartd log ---\n' + log.slice(-4000));
} finally {
  if (browser) await browser.close().catch(() => {});
  if (evil) evil.close();
  for (const d of [daemon, daemon2]) await stopProcess(d);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(rc);
