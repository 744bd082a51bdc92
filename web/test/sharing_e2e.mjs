// web/test/sharing_e2e.mjs — the "Zones and sharing" page, the sender history
// of a DKIM d= and the log level control, in a real browser (Debian's
// chromium, driven by playwright-core) against two real rampartd members of
// a sharing group on free loopback ports.
//
//   RAMPARTD_BIN=build/apps/rampartd/rampartd RAMPART_BIN=build/apps/rampart/rampart \
//   RAMPART_WEB_DIR=build/web CHROMIUM=/usr/bin/chromium SHOTS=build/console-screenshots \
//   node web/test/sharing_e2e.mjs
//
// Set-up as tests/exchange_test.py does it: a group made with `rampart
// exchange group init` / `member add`, signing keys from `rampart exchange
// keygen`, TLS certificates from the openssl command (pinned by SHA-256).
// Member A runs the console, a live DNS zone and the exchange; member B the
// exchange only. Steps (each asserts; any failure exits 1 with the logs):
//  1. A publishes two bot IPs (POST /v1/exchange/publish), B one; each pulls
//     the other's: GET /v1/exchange/members on A counts A's two published,
//     B's read and B's one published (read right; 401 without a token);
//  2. the Zones and sharing page shows both members with those counts, and
//     the DNS server's answer latency after queries to A's zone
//     (rampart_dns_answer_seconds in /metrics too);
//  3. a message signed by shop.test (Ed25519, key in the test's zone) is
//     scanned: Senders looks up dkim:shop.test and sees its plot; its
//     Feedback-ID and From domain have today's count too;
//  4. an admin sets the log level to debug on the Users page: rampartd logs
//     debug lines and GET /v1/log-level says so; PUT /v1/log-level with a
//     token without the admin right is 403; an operator gets 403 for the
//     Users page and for POST /api/log-level, and the level stays;
//  5. A restarted still counts what was published and read (the audit log is read back).
// Screenshots: sharing.png, senders-dkim.png, log-level.png, log-level-forbidden.png in $SHOTS.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { env, fail, check, until, dnsRcode, stopProcess, login } from './support.mjs';

const RAMPARTD = env('RAMPARTD_BIN'), RAMPART = env('RAMPART_BIN'), WEB = env('RAMPART_WEB_DIR');
const CHROME = env('CHROMIUM'), SHOTS = env('SHOTS');
mkdirSync(SHOTS, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'rampart-sharing-e2e-'));
const started = Date.now();
const daemons = {};
const logs = { A: '', B: '' };
let browser = null;

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const cli = (args, input) => run(RAMPART, args, input);

// A loopback port free for TCP and UDP (bound and released: the members must
// know each other's exchange port before either starts).
async function freePort() {
  for (let i = 0; i < 50; i++) {
    const p = await new Promise((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => { const port = s.address().port; s.close(() => resolve(port)); });
    });
    const ok = await new Promise((resolve) => {
      const u = createSocket('udp4');
      u.on('error', () => resolve(false));
      u.bind(p, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (ok) return p;
  }
  fail('no free port');
}
// One DNS query over UDP: resolves to the rcode, or null after 3 s.

const TOKEN = 'sharing-desk-token', READER = 'sharing-reader-token';
const sha = (t) => createHash('sha256').update(t).digest('hex');

// The group, the members' keys and certificates.
function makeGroup() {
  const group = join(tmp, 'group.toml'), groupKey = join(tmp, 'group.key');
  cli(['exchange', 'group', 'init', '--name', 'e2e-group', '--out', group, '--group-key-out', groupKey]);
  const m = {};
  for (const name of ['A', 'B']) {
    const d = join(tmp, name);
    mkdirSync(d);
    const key = join(d, 'sign.key');
    const pub = cli(['exchange', 'keygen', '--out', key]).trim();
    const crt = join(d, 'tls.crt'), pem = join(d, 'tls.pem'), der = join(d, 'tls.der');
    run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', pem,
      '-out', crt, '-days', '2', '-subj', `/CN=member-${name}`]);
    run('openssl', ['x509', '-in', crt, '-outform', 'DER', '-out', der]);
    const fp = createHash('sha256').update(readFileSync(der)).digest('hex');
    cli(['exchange', 'member', 'add', '--group', group, '--name', name, '--sign-key', pub, '--tls-sha256', fp,
      '--read', 'bot_ip,spam_source', '--write', 'bot_ip,spam_source', '--added', String(Math.floor(Date.now() / 1000) - 60)]);
    m[name] = { dir: d, key, crt, pem };
  }
  return { group, groupKey, m };
}

// The zone rampartd resolves from (--zone replaces DNS): SPF, DMARC and the DKIM key of shop.test.
function writeZone(dkimPublic) {
  writeFileSync(join(tmp, 'zone'), '$ORIGIN shop.test.\n$TTL 300\n' +
    '@ TXT "v=spf1 ip4:192.0.2.0/24 -all"\nmail TXT "v=spf1 ip4:192.0.2.0/24 -all"\n' +
    '_dmarc TXT "v=DMARC1; p=none"\n' +
    `sel._domainkey TXT "v=DKIM1; k=ed25519; p=${dkimPublic}"\n`);
}

async function startMember(name, g, ports) {
  const me = g.m[name], other = name === 'A' ? 'B' : 'A';
  let conf = `[[http.tokens]]\nname = "desk"\nsha256 = "${sha(TOKEN)}"\nrights = ["read", "publish", "scan", "admin"]\n` +
    `[[http.tokens]]\nname = "reader"\nsha256 = "${sha(READER)}"\nrights = ["read", "override"]\n` +
    `[reputation]\nsync = false\n` +
    `[exchange]\nenabled = true\ngroup = "${g.group}"\ngroup_key = "${g.groupKey}"\nself = "${name}"\nkey = "${me.key}"\n` +
    `tls_cert = "${me.crt}"\ntls_key = "${me.pem}"\nlisten = "127.0.0.1:${ports[name].ex}"\npull_interval_ms = 200\n` +
    `timeout_ms = 2000\ntrust = { ${other} = 1.0 }\n[[exchange.peers]]\nmember = "${other}"\naddress = "127.0.0.1:${ports[other].ex}"\n`;
  if (name === 'A') {
    conf += `[console]\nenabled = true\nlisten = "127.0.0.1:0"\nassets = "${WEB}"\nusers = "${join(tmp, 'users')}"\nsample_s = 1\n` +
      `[dnsbl]\nlisten = ["127.0.0.1:${ports.A.dns}"]\nrebuild_ms = 200\n[[dnsbl.zones]]\nname = "bl.test"\ndata = "ip"\nlist = "block"\n` +
      `codes = { spammer = "127.0.0.2", compromised = "127.0.0.3", bot = "127.0.0.4" }\n`;
  }
  const config = join(me.dir, 'rampart.toml');
  writeFileSync(config, conf);
  const data = join(me.dir, 'data');
  mkdirSync(data, { recursive: true });
  const child = spawn(RAMPARTD, ['--config', config, '--milter', '127.0.0.1:0', '--http', '127.0.0.1:0',
    '--zone', join(tmp, 'zone'), '--data-dir', data, '--loops', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  daemons[name] = child;
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { logs[name] += d; });
  return until(`rampartd ${name}: ready`, () => {
    if (child.exitCode !== null) fail(`rampartd ${name} exited ${child.exitCode}`);
    if (!out.includes('rampartd: ready')) return null;
    const http = /rampartd: http [^:]+:(\d+)/.exec(out), con = /rampartd: console [^:]+:(\d+)/.exec(out);
    if (!http) fail(`no http port in: ${out}`);
    return { http: Number(http[1]), console: con ? Number(con[1]) : 0 };
  }, 20000);
}

async function main() {
  cli(['user', 'add', 'alice', '--role', 'admin', '--file', join(tmp, 'users')], 'alice password 1\n');
  cli(['user', 'add', 'oscar', '--role', 'operator', '--file', join(tmp, 'users')], 'oscar password 1\n');
  const dkim = generateKeyPairSync('ed25519');
  writeFileSync(join(tmp, 'dkim.pem'), dkim.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeZone(dkim.publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64'));
  const g = makeGroup();
  const ports = { A: { ex: await freePort(), dns: await freePort() }, B: { ex: await freePort() } };
  const A = await startMember('A', g, ports);
  const B = await startMember('B', g, ports);
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const api = (p, port, opts = {}) => fetch(`http://127.0.0.1:${port}${p}`, { ...opts, headers: { ...auth, ...(opts.headers || {}) } });

  // 1. Publish on both sides; A's audit tally counts what each published and read.
  const publish = (port, ips) => api('/v1/exchange/publish', port, { method: 'POST',
    body: JSON.stringify({ items: ips.map((v) => ({ class: 'bot_ip', kind: 'ip', value: v, count: 1 })), urgent: true }) });
  check((await publish(A.http, ['198.51.100.7', '198.51.100.8'])).status === 200, 'A publishes two bot IPs');
  check((await publish(B.http, ['203.0.113.9'])).status === 200, 'B publishes one');
  check((await fetch(`http://127.0.0.1:${A.http}/v1/exchange/members`)).status === 401, 'GET /v1/exchange/members without a token is 401');
  const members = await until('A to count B\'s reads and publication', async () => {
    const j = await (await api('/v1/exchange/members', A.http)).json();
    const a = j.members.find((m) => m.name === 'A'), b = j.members.find((m) => m.name === 'B');
    const ab = a && a.classes.find((c) => c.class === 'bot_ip'), bb = b && b.classes.find((c) => c.class === 'bot_ip');
    return ab && bb && ab.published_items === 2 && bb.read_items >= 2 && bb.published_items === 1 ? j : null;
  });
  const bA = members.members.find((m) => m.name === 'A').classes[0];
  check(members.group === 'e2e-group' && members.self === 'A' && bA.published_batches >= 1 && bA.last_published > 0,
    `/v1/exchange/members on A: A published 2 bot_ip items (${JSON.stringify(bA)})`);

  // 2. The page, and the DNS server's answer latency.
  for (let i = 0; i < 5; i++) check(await dnsRcode(ports.A.dns, `${i}.0.0.10.bl.test`) !== null, `DNS query ${i} to A's zone answered`);
  const metrics = await (await fetch(`http://127.0.0.1:${A.http}/metrics`)).text();
  const udpCount = metrics.split('\n').filter((l) => l.startsWith('rampart_dns_answer_seconds_count{transport="udp"'))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
  check(udpCount >= 5 && metrics.includes('# TYPE rampart_dns_answer_seconds histogram'),
    `/metrics has rampart_dns_answer_seconds with ${udpCount} UDP answers`);
  browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox', '--disable-gpu'] });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await ctx.newPage();
  const base = `http://127.0.0.1:${A.console}`;
  await login(page, base, 'alice', 'alice password 1');
  await page.click('a[data-page=Zones]');
  await page.waitForURL(`${base}/zones`);
  await page.waitForSelector('#sharing-table');
  check((await page.textContent('h1')) === 'Zones and sharing', 'the page is "Zones and sharing"');
  const cell = async (member, sel) => page.textContent(`#sharing-table tr[data-member="${member}"][data-class="bot_ip"] ${sel}`);
  check((await cell('A', '.member-published')) === '2', 'the page shows A published 2 bot_ip items');
  check(Number(await cell('B', '.member-read')) >= 2, 'and B read at least 2 of them');
  check((await cell('B', '.member-published')) === '1', 'and B published 1');
  check((await page.textContent('#sharing-table tr[data-member="A"] .member-name')).includes('this node'), 'A is marked as this node');
  const shown = Number((await page.textContent('#answers-table tr[data-transport="udp"] .answers-count')).replace(/[^0-9.]/g, ''));
  check(shown >= 5, `the page shows ${shown} timed UDP answers`);
  check(/ms$/.test(await page.textContent('#answers-table tr[data-transport="udp"] .answers-mean')), 'with their mean in ms');
  await page.screenshot({ path: join(SHOTS, 'sharing.png'), fullPage: true });

  // 3. A DKIM-signed message: its d=, Feedback-ID and From domain get a history.
  const msg = 'From: news@shop.test\r\nTo: b@example.net\r\nSubject: offers\r\nMessage-ID: <1@shop.test>\r\n' +
    'Feedback-ID: c42:offers:shop\r\n\r\nhello\r\n';
  const sig = cli(['dkim', 'sign', '--domain', 'shop.test', '--selector', 'sel', '--key', join(tmp, 'dkim.pem'),
    '--algorithm', 'ed25519-sha256', '--headers', 'from:to:subject:message-id:feedback-id'], msg);  // the field, then the message
  const scanned = await (await api('/v1/scan', A.http, { method: 'POST', headers: { 'X-Client-IP': '192.0.2.20', 'X-Helo': 'mail.shop.test',
    'X-Mail-From': 'bounce@mail.shop.test', 'X-Rcpt-To': 'b@example.net' }, body: sig })).json();
  check(/dkim=pass/.test(scanned.authentication_results || ''), `the signed message passes DKIM (${(scanned.authentication_results || '').slice(0, 80)}...)`);
  await page.click('a[data-page=Senders]');
  await page.waitForURL(`${base}/senders`);
  await page.fill('#sender-q', 'dkim:shop.test');
  await page.click('#sender-form button');
  await page.waitForSelector('#sender-plot canvas');
  check((await page.textContent('#sender-result h2')) === 'dkim:shop.test', 'Senders looks up dkim:shop.test');
  check((await page.textContent('#sender-plot')).includes('messages'), 'and plots its messages a day');
  await page.screenshot({ path: join(SHOTS, 'senders-dkim.png'), fullPage: true });
  const today = Math.floor(Date.now() / 86400000);
  for (const q of ['dkim:shop.test', 'fbid:c42:offers:shop', 'shop.test', 'net:192.0.2.0/24']) {
    const h = await (await page.request.get(`${base}/api/senders?q=${encodeURIComponent(q)}`)).json();
    check(h.days.length === 1 && h.days[0][0] === today && h.days[0][1] === 1, `${q} has today's one message (${JSON.stringify(h.days)})`);
  }

  // 4. The log level: admin on the Users page; operator refused.
  check((await (await api('/v1/log-level', A.http)).json()).level === 'info', 'the level starts at info');
  const r403 = await fetch(`http://127.0.0.1:${A.http}/v1/log-level`, { method: 'PUT', headers: { Authorization: `Bearer ${READER}` }, body: 'trace' });
  check(r403.status === 403, 'PUT /v1/log-level with a token without the admin right is 403');
  await page.click('a[data-page=Users]');
  await page.waitForSelector('#log-level-form');
  await until('the level shown', async () => (await page.textContent('#log-level')) === 'info');
  const logBefore = logs.A.length;
  await page.selectOption('#log-level-select', 'debug');
  await page.click('#log-level-form button');
  await until('the new level shown', async () => (await page.textContent('#log-level')) === 'debug');
  check((await page.textContent('#log-level-msg')).includes('changed from info'), 'the page says the level changed from info');
  check((await (await api('/v1/log-level', A.http)).json()).level === 'debug', 'GET /v1/log-level says debug');
  await until('the change in the log', async () => logs.A.slice(logBefore).includes('log level info -> debug by console user alice'));
  check(true, 'rampartd logged who changed the level');
  await page.screenshot({ path: join(SHOTS, 'log-level.png'), fullPage: true });
  // Debug lines appear now (a scan logs its verdict at debug or above).
  await api('/v1/scan', A.http, { method: 'POST', headers: { 'X-Client-IP': '192.0.2.21', 'X-Mail-From': 'x@shop.test', 'X-Rcpt-To': 'b@example.net' }, body: msg });
  await until('a debug line', async () => /^\S+ debug /m.test(logs.A.slice(logBefore)));
  check(true, 'rampartd writes debug lines at the new level');
  const pr = await fetch(`http://127.0.0.1:${A.http}/v1/log-level`, { method: 'PUT', headers: auth, body: 'info' });
  check(pr.status === 200 && (await pr.json()).previous === 'debug', 'PUT /v1/log-level with the admin token sets it back to info');
  await page.click('#logout');
  await page.waitForURL(/\/login/);
  await login(page, base, 'oscar', 'oscar password 1');
  check((await page.$('a[data-page=Users]')) === null, 'the operator\'s menu has no Users');
  const resp = await page.goto(`${base}/users`);
  check(resp.status() === 403, 'the operator gets 403 for /users');
  await page.waitForSelector('#forbidden');
  await page.screenshot({ path: join(SHOTS, 'log-level-forbidden.png') });
  const st = await page.evaluate(async () => {
    const me = await (await fetch('/api/me')).json();
    return (await fetch('/api/log-level', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'level=trace' })).status;
  });
  check(st === 403, 'the operator gets 403 for POST /api/log-level');
  check((await (await api('/v1/log-level', A.http)).json()).level === 'info', 'and the level stays info');

  // 5. A restarted keeps the counts: its audit log is read back at start.
  const stopped = new Promise((r) => daemons.A.on('exit', r));
  daemons.A.kill('SIGTERM');
  await stopped;
  const A2 = await startMember('A', g, ports);
  const again = await (await api('/v1/exchange/members', A2.http)).json();
  const a2 = again.members.find((m) => m.name === 'A').classes.find((c) => c.class === 'bot_ip');
  const b2 = again.members.find((m) => m.name === 'B').classes.find((c) => c.class === 'bot_ip');
  check(a2 && a2.published_items === 2 && b2 && b2.read_items >= 2 && again.since <= bA.last_published,
    `after a restart A still counts its 2 published and B's ${b2 && b2.read_items} read (since ${again.since})`);
  console.log(`sharing e2e: passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
}

let rc = 0;
try {
  await main();
} catch (e) {
  rc = 1;
  console.error(e.stack || e);
  for (const n of ['A', 'B']) console.error(`--- rampartd ${n} log ---\n` + logs[n].slice(-3000));
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const d of Object.values(daemons)) await stopProcess(d);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(rc);
