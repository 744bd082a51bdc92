// web/test/zombies_e2e.mjs — the console's Zombies page in a real browser
// (Debian's chromium driven by playwright-core), the same harness as e2e.mjs,
// against a real rampartd with a flow collector ([flows]) on free loopback ports.
//
//   RAMPARTD_BIN=build/apps/rampartd/rampartd RAMPART_BIN=build/apps/rampart/rampart \
//   RAMPART_WEB_DIR=build/web CHROMIUM=/usr/bin/chromium SHOTS=build/console-screenshots \
//   SOFTFLOWD=/usr/sbin/softflowd SOFTFLOWCTL=/usr/sbin/softflowctl node web/test/zombies_e2e.mjs
//
// Steps (each asserts; any failure exits 1 with rampartd's log):
//  1. accounts made with `rampart user add`: an operator and a viewer;
//  2. Debian's softflowd exports a pcap written here (a subscriber sending SYNs to 150 port-25
//     hosts) as NetFlow v9 to rampartd's collector: the incident appears on the Zombies page
//     with its evidence and action;
//  3. the viewer sees it but has no Release button, and POST /api/zombies/release with her own
//     CSRF token is 403 (nothing changes);
//  4. a POST without the CSRF token is refused (403) even for the operator;
//  5. the operator extends it, then releases it with a reason through the page; the audit
//     log (GET /v1/audit) names console:oscar.
// Screenshots go to $SHOTS (zombies-open.png, zombies-released.png).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { env, fail, check, until, stopProcess } from './support.mjs';

const RAMPARTD = env('RAMPARTD_BIN'), RAMPART = env('RAMPART_BIN'), WEB = env('RAMPART_WEB_DIR');
const CHROME = env('CHROMIUM'), SHOTS = env('SHOTS'), SOFTFLOWD = env('SOFTFLOWD'), SOFTFLOWCTL = env('SOFTFLOWCTL');
mkdirSync(SHOTS, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'rampart-zombies-e2e-'));
const BOT = '100.64.0.7';
let daemon = null, browser = null, log = '';

function cli(args, input) {
  const r = spawnSync(RAMPART, args, { input, encoding: 'utf8' });
  if (r.status !== 0) fail(`rampart ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// A UDP port free on 127.0.0.1 (bound and released).
async function freeUdpPort() {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

// Ethernet + IPv4 + TCP SYN from BOT to a distinct port-25 host per packet.
function writePcap(path) {
  const t0 = Math.floor(Date.now() / 1000) - 200;
  const frames = [];
  for (let i = 0; i < 150; i++) {
    const f = Buffer.alloc(14 + 20 + 20);
    Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]).copy(f, 0);
    f.writeUInt8(0x45, 14); f.writeUInt16BE(40, 16); f.writeUInt8(64, 22); f.writeUInt8(6, 23);
    Buffer.from(BOT.split('.').map(Number)).copy(f, 26);
    Buffer.from([11, 0, Math.floor(i / 200), (i % 200) + 1]).copy(f, 30);
    let sum = 0;
    for (let j = 14; j < 34; j += 2) sum += f.readUInt16BE(j);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    f.writeUInt16BE(~sum & 0xffff, 24);
    f.writeUInt16BE(40000 + i, 34); f.writeUInt16BE(25, 36); f.writeUInt32BE(1000, 38);
    f.writeUInt8(5 << 4, 46); f.writeUInt8(0x02, 47); f.writeUInt16BE(65535, 48);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(t0 + i, 0); rec.writeUInt32LE(0, 4); rec.writeUInt32LE(f.length, 8); rec.writeUInt32LE(f.length, 12);
    frames.push(rec, f);
  }
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16); head.writeUInt32LE(1, 20);
  writeFileSync(path, Buffer.concat([head, ...frames]));
  return 150;
}

// softflowd -r reads the pcap and waits on its control socket: shut it down
// (which exports every flow) once every packet is processed.
async function exportFlows(port) {
  const pcap = join(tmp, 'bot.pcap'), ctl = join(tmp, 'softflowd.ctl');
  const packets = writePcap(pcap);
  const sf = spawn(SOFTFLOWD, ['-r', pcap, '-v', '9', '-n', `127.0.0.1:${port}`, '-p', join(tmp, 'sf.pid'), '-c', ctl, '-d'],
    { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise((r) => sf.on('exit', r));
  await until('softflowd to process the pcap', () => {
    if (sf.exitCode !== null) return true;
    if (!existsSync(ctl)) return false;
    const st = spawnSync(SOFTFLOWCTL, ['-c', ctl, 'statistics'], { encoding: 'utf8' }).stdout || '';
    if (!st.includes(`Packets processed: ${packets}`)) return false;
    spawnSync(SOFTFLOWCTL, ['-c', ctl, 'shutdown']);
    return true;
  });
  check((await exited) === 0, 'softflowd exported the flows and exited 0');
}

async function main() {
  const users = join(tmp, 'users');
  cli(['user', 'add', 'oscar', '--role', 'operator', '--file', users], 'oscar password 1\n');
  cli(['user', 'add', 'vera', '--role', 'viewer', '--file', users], 'vera password 1\n');
  const tok = cli(['token', 'new', 'e2e', '--rights', 'read']);
  const token = tok.split('\n')[0];
  const flowPort = await freeUdpPort();
  const config = join(tmp, 'rampart.toml');
  writeFileSync(join(tmp, 'zone'), '$ORIGIN good.test.\n$TTL 300\n@ TXT "v=spf1 -all"\n');
  writeFileSync(config, tok.slice(tok.indexOf('[[http.tokens]]')) +
    `[console]\nenabled = true\nlisten = "127.0.0.1:0"\nassets = "${WEB}"\nusers = "${users}"\n` +
    `[flows]\nlisten = "127.0.0.1:${flowPort}"\n[flows.detector]\nsubscribers_dynamic = ["100.64.0.0/10"]\n`);
  mkdirSync(join(tmp, 'data'));
  daemon = spawn(RAMPARTD, ['--config', config, '--milter', '127.0.0.1:0', '--http', '127.0.0.1:0',
    '--zone', join(tmp, 'zone'), '--data-dir', join(tmp, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  daemon.stdout.on('data', (d) => { out += d; });
  daemon.stderr.on('data', (d) => { log += d; });
  const ports = await until('rampartd: ready', () => {
    if (daemon.exitCode !== null) fail(`rampartd exited ${daemon.exitCode}`);
    if (!out.includes('rampartd: ready')) return null;
    const http = /rampartd: http [^:]+:(\d+)/.exec(out), con = /rampartd: console [^:]+:(\d+)/.exec(out);
    return { http: Number(http[1]), console: Number(con[1]) };
  }, 20000);
  check(out.includes(`rampartd: flows udp port ${flowPort}`), 'rampartd runs the flow collector');
  const base = `http://127.0.0.1:${ports.console}`;

  browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox', '--disable-gpu'] });
  const login = async (user) => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#user', user);
    await page.fill('#password', `${user} password 1`);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/live`);
    return page;
  };

  // 2. Flows in, incident on the page.
  const oscar = await login('oscar');
  await exportFlows(flowPort);
  await oscar.click('a[data-page=Zombies]');
  const row = `#zombies-table tr[data-host="${BOT}"]`;
  await until('the incident on the Zombies page', async () => {
    if (await oscar.$(row)) return true;
    await oscar.reload();
    await oscar.waitForSelector('#zombies');
    return false;
  });
  check((await oscar.textContent(`${row} .zombie-state`)) === 'open', 'the incident is open');
  const summary = await oscar.textContent(`${row} .zombie-summary`);
  check(summary.includes('port 25:') && summary.includes('failed'), `with its evidence in words (${summary})`);
  check((await oscar.textContent(row)).includes('distinct_dst25='), 'and in figures');
  check((await oscar.textContent(row)).includes('block'), 'and its action (block)');
  await oscar.screenshot({ path: join(SHOTS, 'zombies-open.png'), fullPage: true });
  const id = Number(await oscar.getAttribute(row, 'data-id'));

  // 3. The viewer: sees it, no buttons, 403 with her own CSRF token.
  const vera = await login('vera');
  await vera.click('a[data-page=Zombies]');
  await vera.waitForSelector(row);
  check((await vera.$(`${row} .zombie-release`)) === null, 'the viewer sees the incident without a Release button');
  const st = await vera.evaluate(async (incident) => {
    const me = await (await fetch('/api/me')).json();
    return (await fetch('/api/zombies/release', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf,
      'Content-Type': 'application/x-www-form-urlencoded' }, body: `id=${incident}&reason=viewer` })).status;
  }, id);
  check(st === 403, 'the viewer gets 403 for POST /api/zombies/release');

  // 4. No CSRF token: refused even for the operator.
  const noCsrf = await oscar.evaluate(async (incident) => (await fetch('/api/zombies/release', { method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `id=${incident}&reason=x` })).status, id);
  check(noCsrf === 403, 'a release without the CSRF token is 403');
  const api = async () => (await (await fetch(`http://127.0.0.1:${ports.http}/v1/incidents`,
    { headers: { Authorization: `Bearer ${token}` } })).json()).incidents.find((i) => i.id === id);
  check((await api()).state === 'open', 'after the refusals the incident is still open');

  // 5. The operator extends, then releases it, through the page.
  await oscar.fill(`${row} .zombie-reason`, 'still sending, ticket 7');
  await oscar.click(`${row} .zombie-extend`);
  await until('extended', async () => (await oscar.textContent(`${row} .zombie-state`).catch(() => '')) === 'extended');
  check((await api()).state === 'extended', 'the operator extended it');
  await oscar.fill(`${row} .zombie-reason`, 'customer cleaned the PC');
  await oscar.click(`${row} .zombie-release`);
  await until('released', async () => (await oscar.textContent(`${row} .zombie-state`).catch(() => '')) === 'released');
  const rel = await api();
  check(rel.state === 'released' && rel.who === 'console:oscar' && rel.reason === 'customer cleaned the PC',
    'the operator released it; who and why are kept');
  const audit = await (await fetch(`http://127.0.0.1:${ports.http}/v1/audit`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const last = audit.audit[audit.audit.length - 1];
  check(last.action === 'release' && last.who === 'console:oscar' && last.identity === `ip:${BOT}`,
    'the audit log names the release and who did it');
  await oscar.screenshot({ path: join(SHOTS, 'zombies-released.png'), fullPage: true });
}

let rc = 0;
try {
  await main();
  console.log('zombies e2e: passed');
} catch (e) {
  rc = 1;
  console.error(e.stack || e);
  console.error('--- rampartd log ---\n' + log.slice(-4000));
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopProcess(daemon);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(rc);
