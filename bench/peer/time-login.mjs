// Times full logins against a running peer, one after another (no concurrency), each with a fresh cookie jar:
//   GET /auth -> 303 /interaction/:uid -> GET form 200 -> POST login 303 -> GET /auth/:uid 303 (code)
//   -> POST /token 200 -> GET /me 200
// It is a reference for the load driver's sequence, not the benchmark itself.
//   node bench/peer/time-login.mjs [base-url] [count]
import { createHash, randomBytes } from 'node:crypto';

const base = process.argv[2] || process.env.PEER_URL || `http://localhost:${process.env.PORT || 5300}`;
const count = Number.parseInt(process.argv[3] || '20', 10);
const redirectUri = 'http://localhost:5090/signin-oidc';
const basic = `Basic ${Buffer.from('bench-web:bench-web-secret-0123456789abcdefghijklmnop').toString('base64')}`;

function absolute(location) {
  return new URL(location, base).href;
}

async function login() {
  const jar = new Map();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';', 1);
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name); else jar.set(name, value);
    }
  };
  // Cookie paths are ignored here: every cookie goes with every request (harmless against this server).
  const go = async (url, init = {}, expected) => {
    const response = await fetch(url, {
      redirect: 'manual', ...init, headers: { cookie: cookieHeader(), ...init.headers },
    });
    remember(response);
    const body = await response.text();
    if (response.status !== expected) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${body.slice(0, 200)}`);
    return { response, body };
  };

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(12).toString('base64url');
  const authorize = new URL('/auth', base);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'bench-web',
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    state,
    nonce: randomBytes(12).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const times = [];
  let t = performance.now();
  const lap = () => { const now = performance.now(); times.push(now - t); t = now; };

  const a = await go(authorize.href, {}, 303); lap();
  const formUrl = absolute(a.response.headers.get('location'));
  const form = await go(formUrl, {}, 200); lap();
  const action = absolute(/action="([^"]+)"/.exec(form.body)[1]);
  const posted = await go(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'bench.user', password: 'Bench-Passw0rd!' }).toString(),
  }, 303); lap();
  const resumed = await go(absolute(posted.response.headers.get('location')), {}, 303); lap();
  const callback = new URL(resumed.response.headers.get('location'));
  if (callback.searchParams.get('state') !== state) throw new Error('state mismatch');
  const token = await go(new URL('/token', base).href, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: redirectUri, code_verifier: verifier,
    }).toString(),
  }, 200); lap();
  const { access_token: accessToken } = JSON.parse(token.body);
  await go(new URL('/me', base).href, { headers: { authorization: `Bearer ${accessToken}` } }, 200); lap();
  return times;
}

const names = ['GET /auth', 'GET /interaction/:uid', 'POST /interaction/:uid/login', 'GET /auth/:uid', 'POST /token', 'GET /me'];
for (let i = 0; i < 3; i++) await login(); // warm-up
const runs = [];
for (let i = 0; i < count; i++) runs.push(await login());
const median = (values) => { const s = [...values].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const totals = runs.map((r) => r.reduce((x, y) => x + y, 0));
console.log(`${count} sequential logins against ${base}: median ${median(totals).toFixed(1)} ms, `
  + `min ${Math.min(...totals).toFixed(1)} ms, max ${Math.max(...totals).toFixed(1)} ms`);
names.forEach((name, i) => console.log(`  ${name.padEnd(30)} median ${median(runs.map((r) => r[i])).toFixed(2)} ms`));
