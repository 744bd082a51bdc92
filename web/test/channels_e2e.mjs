// web/test/channels_e2e.mjs — the Channels page (calls' incidents, SMS/IM
// senders' classes, their verdict counts) in a real browser (Debian's
// chromium, driven by playwright-core) against a real rampartd with [calls]
// and [messages] on free loopback ports.
//
//   RAMPARTD_BIN=build/apps/rampartd/rampartd RAMPART_BIN=build/apps/rampart/rampart \
//   RAMPART_WEB_DIR=build/web CHROMIUM=/usr/bin/chromium SHOTS=build/console-screenshots \
//   node web/test/channels_e2e.mjs
//
// Steps (each asserts; any failure exits 1 with rampartd's log):
//  1. a robocaller dials numbers in sequence (POST /v1/calls, token with the
//     `calls` right) until rampartd blocks it; a normal caller's two calls
//     are allowed; an SMS sender is reported (POST /v1/messages/complaints)
//     and one of its messages judged (POST /v1/messages);
//  2. without a session /channels redirects to /login and /api/channels is 401;
//  3. an admin sees the robocaller's block incident, the call counts and
//     the complained sender on the page (channels.png); the Senders page
//     finds the robocaller's number: spammer as a caller, with its reason,
//     and the number as an SMS sender beside it (senders-number.png);
//  4. a viewer sees the same through GET /api/channels.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { env, fail, check, until, stopProcess, login } from './support.mjs';

const RAMPARTD = env('RAMPARTD_BIN'), RAMPART = env('RAMPART_BIN'), WEB = env('RAMPART_WEB_DIR');
const CHROME = env('CHROMIUM'), SHOTS = env('SHOTS');
mkdirSync(SHOTS, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'rampart-channels-e2e-'));
const started = Date.now();
let daemon = null, log = '', browser = null;

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const TOKEN = 'channels-switch-token';
const sha = (t) => createHash('sha256').update(t).digest('hex');
const ROBOT = '+13125550777', NORMAL = '+13125550100', SMS_SPAMMER = '+447700900123';

async function startDaemon() {
  // A throwaway STI-CA certificate: [calls] needs trust anchors to start.
  const anchors = join(tmp, 'anchors.pem');
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(tmp, 'anchor.key'), '-out', anchors, '-days', '1', '-subj', '/CN=e2e STI-CA']);
  const data = join(tmp, 'data');
  mkdirSync(data);
  const config = join(tmp, 'rampart.toml');
  writeFileSync(config, `[[http.tokens]]\nname = "switch"\nsha256 = "${sha(TOKEN)}"\nrights = ["calls", "read", "scan", "events"]\n` +
    `[reputation]\nsync = false\n[calls]\nenabled = true\ntrust_anchors = "${anchors}"\n[messages]\nenabled = true\n` +
    `[console]\nenabled = true\nlisten = "127.0.0.1:0"\nassets = "${WEB}"\nusers = "${join(tmp, 'users')}"\n`);
  daemon = spawn(RAMPARTD, ['--config', config, '--milter', '127.0.0.1:0', '--http', '127.0.0.1:0',
    '--data-dir', data, '--loops', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  daemon.stdout.on('data', (d) => { out += d; });
  daemon.stderr.on('data', (d) => { log += d; });
  return until('rampartd: ready', () => {
    if (daemon.exitCode !== null) fail(`rampartd exited ${daemon.exitCode}`);
    if (!out.includes('rampartd: ready')) return null;
    const http = /rampartd: http [^:]+:(\d+)/.exec(out), con = /rampartd: console [^:]+:(\d+)/.exec(out);
    if (!http || !con) fail(`no http or console port in: ${out}`);
    return { http: Number(http[1]), console: Number(con[1]) };
  }, 20000);
}

async function main() {
  run(RAMPART, ['user', 'add', 'alice', '--role', 'admin', '--file', join(tmp, 'users')], 'alice password 1\n');
  run(RAMPART, ['user', 'add', 'vera', '--role', 'viewer', '--file', join(tmp, 'users')], 'vera password 1\n');
  const ports = await startDaemon();
  const v1 = async (method, path, body) => {
    const r = await fetch(`http://127.0.0.1:${ports.http}${path}`, { method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status !== 200) fail(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };

  // 1. The robocaller dials in sequence until blocked; the normal caller is allowed.
  const now = Math.floor(Date.now() / 1000);
  let blockedAt = 0;
  for (let i = 0; i < 300 && !blockedAt; i++) {
    const a = await v1('POST', '/v1/calls', { from: ROBOT, to: `+1202556${String(1000 + i)}`, date: now + Math.floor(i / 10),
      source_ip: '127.0.0.1', trunk: 'carrier-e2e', external: true, call_id: `robo-${i}@e2e` });
    if (a.action === 'block') blockedAt = i + 1;
  }
  check(blockedAt > 1, `the robocaller is blocked at its call ${blockedAt}`);
  // ... and keeps dialling, blocked: its number's reputation turns spammer (step 3b).
  for (let i = blockedAt; i < blockedAt + 80; i++) {
    const a = await v1('POST', '/v1/calls', { from: ROBOT, to: `+1202556${String(1000 + i)}`, date: now + Math.floor(i / 10),
      source_ip: '127.0.0.1', trunk: 'carrier-e2e', external: true, call_id: `robo-${i}@e2e` });
    if (a.action !== 'block') fail(`the robocaller's call ${i + 1} after its block: ${a.action}`);
  }
  for (let i = 0; i < 2; i++) {
    const a = await v1('POST', '/v1/calls', { from: NORMAL, to: `+1202555020${i}`, date: now + 30 + i * 20,
      source_ip: '127.0.0.1', trunk: 'carrier-e2e', external: true, call_id: `normal-${i}@e2e` });
    check(a.action === 'allow', `the normal caller's call ${i + 1} is allowed`);
  }
  const c = await v1('POST', '/v1/messages/complaints', { channel: 'sms', sender: SMS_SPAMMER,
    text: 'You won a prize! Claim at http://prize.example/claim now', time: now });
  check(c.complaint === 'recorded', 'the SMS complaint is recorded');
  const m = await v1('POST', '/v1/messages', { channel: 'sms', sender: SMS_SPAMMER, recipients: ['+447700900999'],
    text: 'Claim your prize at http://prize.example/claim', time: now + 1 });
  check(typeof m.action === 'string', `an SMS from the reported sender is judged (${m.action})`);
  const senders = await until('the sender classed complained', async () => {
    const j = await v1('GET', '/v1/messages/senders');
    return j.senders.find((s) => s.sender === SMS_SPAMMER && s.class === 'complained') ? j : null;
  });
  check(senders.senders.length >= 1, `GET /v1/messages/senders names ${SMS_SPAMMER} complained`);

  // 2. No session: the page redirects to the login, the API is 401.
  const base = `http://127.0.0.1:${ports.console}`;
  const anon = await fetch(`${base}/channels`, { redirect: 'manual' });
  check(anon.status === 303 && (anon.headers.get('location') || '').includes('/login'), `/channels without a session is ${anon.status} to /login`);
  check((await fetch(`${base}/api/channels`)).status === 401, 'GET /api/channels without a session is 401');

  // 3. The page, as an admin.
  browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox', '--disable-gpu'] });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const external = [];
  ctx.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  const page = await ctx.newPage();
  await login(page, base, 'alice', 'alice password 1');
  await page.click('a[data-page=Channels]');
  await page.waitForURL(`${base}/channels`);
  await page.waitForSelector('#calls-table');
  check((await page.textContent('h1')) === 'Channels', 'the page is "Channels"');
  const robot = `#calls-table tr[data-key="caller:${ROBOT}"]`;
  await page.waitForSelector(robot);
  check((await page.textContent(`${robot} .call-action`)) === 'block', `the robocaller caller:${ROBOT} shows as blocked`);
  const counts = await page.textContent('#calls-counts');
  check(/block \d+/.test(counts) && /allow \d+/.test(counts), `the call counts by action are shown (${counts})`);
  const sender = `#senders-table tr[data-sender="${SMS_SPAMMER}"]`;
  await page.waitForSelector(sender);
  check((await page.textContent(`${sender} .sender-class`)) === 'complained', `the SMS sender ${SMS_SPAMMER} shows as complained`);
  const mc = await page.textContent('#messages-counts');
  check(mc.includes('complaints recorded: 1') && mc.includes(`sms: ${m.action} 1`), `the message and the complaint are counted (${mc})`);
  check(!/\bnull\b|undefined/.test(await page.textContent('main, body')), 'no "null" or "undefined" on the page');
  await page.screenshot({ path: join(SHOTS, 'channels.png'), fullPage: true });
  check(external.length === 0, `the page made no external request (${external.join(', ')})`);

  // 3b. The Senders page finds the robocaller's number (issue 16: calls in the
  // reputation store): a spammer as a caller, with its reason, and the same
  // number as an SMS sender beside it.
  await until('the robocaller classed spammer', async () => {
    const r = await page.evaluate(async (q) => (await fetch('/api/senders?q=' + encodeURIComponent(q))).json(), ROBOT);
    return r.report && r.report.class === 'spammer' ? r : null;
  });
  await page.click('a[data-page=Senders]');
  await page.waitForURL(`${base}/senders`);
  await page.fill('#sender-q', ROBOT);
  await page.click('#sender-form button');
  await page.waitForSelector('#sender-class');
  check((await page.textContent('#sender-result h2')) === `voice:${ROBOT}`, `Senders looks ${ROBOT} up as voice:${ROBOT}`);
  check((await page.textContent('#sender-class')) === 'spammer', `Senders shows the robocaller ${ROBOT} as spammer`);
  check((await page.textContent('#sender-reasons')).includes('SPAM_VERDICTS'), 'with the reason SPAM_VERDICTS');
  check((await page.textContent('.sender-also h2')) === `sms:${ROBOT}`, 'and the number as an SMS sender beside it');
  await page.screenshot({ path: join(SHOTS, 'senders-number.png'), fullPage: true });

  // 4. A viewer may read it.
  await page.click('#logout');
  await page.waitForURL(/\/login/);
  await login(page, base, 'vera', 'vera password 1');
  check((await page.$('a[data-page=Channels]')) !== null, 'the viewer\'s menu has Channels');
  const j = await page.evaluate(async () => (await fetch('/api/channels')).json());
  const inc = j.calls.incidents.find((i) => i.key === `caller:${ROBOT}`);
  check(j.calls.enabled && inc && inc.action === 'block' && inc.first_seen > 0 && j.calls.counts.block >= 1 &&
    j.calls.counts.allow >= 2, `GET /api/channels as a viewer: the robocaller's incident and counts (${JSON.stringify(j.calls.counts)})`);
  check(j.messages.enabled && j.messages.complaints === 1 &&
    j.messages.senders.some((s) => s.sender === SMS_SPAMMER && s.class === 'complained'), 'and the complained SMS sender');
  console.log(`channels e2e: passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshot in ${SHOTS}`);
}

let rc = 0;
try {
  await main();
} catch (e) {
  rc = 1;
  console.error(e.stack || e);
  console.error('--- rampartd log ---\n' + log.slice(-3000));
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopProcess(daemon);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(rc);
