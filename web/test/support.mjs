// web/test/support.mjs — what the browser tests (e2e, sharing_e2e, zombies_e2e, channels_e2e) share:
// their environment, assertions that print what held, polling with a deadline
// (no fixed sleeps) and a DNS query for an rcode.
import { createSocket } from 'node:dgram';

// The value of environment variable K; exits 2 naming it when unset.
export function env(k) {
  if (!process.env[k]) { console.error(`${process.argv[1]}: ${k} is not set`); process.exit(2); }
  return process.env[k];
}
export function fail(msg) {
  console.error(`FAIL: ${msg}`);
  throw new Error(msg);
}
export function check(cond, msg) { if (!cond) fail(msg); else console.log(`ok: ${msg}`); }
// Polls FN every 100 ms until it returns a truthy value (returned), or fails after MS.
export async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
// The rcode of an A query for NAME at 127.0.0.1:PORT over UDP; null after 3 s.
export function dnsRcode(port, name) {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    const parts = [Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
    for (const label of name.split('.')) parts.push(Buffer.from([label.length]), Buffer.from(label));
    parts.push(Buffer.from([0, 0, 1, 0, 1]));  // root, QTYPE A, QCLASS IN
    const timer = setTimeout(() => { sock.close(); resolve(null); }, 3000);
    sock.on('message', (m) => {
      if (m.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve(m[3] & 15);
    });
    sock.send(Buffer.concat(parts), port, '127.0.0.1');
  });
}
// Stops a child process still running (SIGTERM, then waits for its exit, at most 10 s).
export async function stopProcess(proc) {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((r) => { proc.on('exit', r); setTimeout(r, 10000); });
  proc.kill('SIGTERM');
  await exited;
}
// Logs USER in through the console's form at BASE; resolves once on the Live page.
export async function login(page, base, user, password) {
  await page.goto(`${base}/login`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/live`);
}
