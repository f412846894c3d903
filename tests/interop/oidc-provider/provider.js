// node-oidc-provider 9, configured as an operator would run it, as an upstream identity source of the hub's tests
// (tests/IdentityHub.Tests/Infrastructure/NodeOidcProvider.cs starts it). Its protocol code is node-oidc-provider's;
// this file only gives it people, clients, keys and a sign-in page.
//
//   node provider.js settings.json [--exit-with-stdin]
//
// With --exit-with-stdin the process ends when its standard input does: the test process that started it holds
// that pipe, so a test run that dies does not leave providers behind.
//
// settings.json:
//   {
//     "hubIssuer": "http://localhost:5080",        the hub's issuer: clients get {hubIssuer}/signin/{sourceId} as
//                                                  redirect URI and {hubIssuer}/signout/{sourceId} after logout
//     "people": [{ "username", "displayName", "subject", "claims": {...}, "acr", "amr": [...],
//                  "claimsOnlyInUserInfo" }],       the test people (the mock provider's, tests/MockIdentityProvider)
//     "providers": [{
//       "name": "main",                            how the ready line names it
//       "port": 0,                                 TCP port on 127.0.0.1; 0 picks a free one
//       "issuer": "http://127.0.0.1:5300",         default http://127.0.0.1:{port}
//       "endSession": true,                        features.rpInitiatedLogout (an end_session_endpoint or none)
//       "clients": [{
//         "sourceId": "nodeoidc-basic",            the hub's identity source id this client belongs to
//         "claimsIn": "both",                      identity claims in "both" the ID token and userinfo, or only in
//                                                  "id_token" or only in "userinfo"
//         "metadata": { client_id, client_secret, token_endpoint_auth_method, jwks_uri,
//                       id_token_signed_response_alg, userinfo_signed_response_alg, ... }
//       }]
//     }]
//   }
//
// Once every provider listens, one line goes to stdout: READY {"providers":[{"name","issuer"}]}.
// GET {issuer}/test/events lists what the provider saw (pushed authorization requests, authorizations, token
// requests, with the client and its authentication method), so tests can check what the hub really sent.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const [settingsPath, ...flags] = process.argv.slice(2);
if (!settingsPath) {
  console.error('usage: node provider.js settings.json [--exit-with-stdin]');
  process.exit(2);
}
const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
const hubIssuer = String(settings.hubIssuer ?? '').replace(/\/+$/, '');
if (!hubIssuer) throw new Error('settings.hubIssuer is required');
const people = settings.people ?? [];
if (people.length === 0) throw new Error('settings.people is empty');

const CLAIMS = {
  // acr, amr and auth_time in every ID token, as the hub's registered levels expect (oidc-provider otherwise adds
  // them only when asked through acr_values, max_age or the claims parameter).
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['given_name', 'family_name', 'preferred_username', 'gender', 'birthdate'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
  birth: ['birthplace', 'birthcountry'],
  identity_number: ['identity_number'],
};
const PROTOCOL_CLAIMS = new Set(['sub', 'acr', 'amr', 'auth_time']);

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function send(res, status, body, headers = {}) {
  const buffer = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': buffer.length, 'Cache-Control': 'no-store', ...headers });
  res.end(buffer);
}

function readForm(req, limit = 16 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(Object.assign(new Error('form too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function signingKeys() {
  // RSA without an "alg" so that one key signs RS256 and PS256; P-256 for ES256.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return { keys: [{ ...rsa, kid: `rsa-${randomUUID()}`, use: 'sig' }, { ...ec, kid: `ec-${randomUUID()}`, use: 'sig' }] };
}

async function startProvider(definition) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(definition.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const issuer = definition.issuer || `http://127.0.0.1:${port}`;
  const claimsInByClient = new Map(definition.clients.map((c) => [c.metadata.client_id, c.claimsIn ?? 'both']));
  const events = [];

  const provider = new Provider(issuer, {
    clients: definition.clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: Object.keys(CLAIMS).join(' '),
      ...c.metadata,
      redirect_uris: [`${hubIssuer}/signin/${c.sourceId}`],
      post_logout_redirect_uris: [`${hubIssuer}/signout/${c.sourceId}`],
    })),
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    claims: CLAIMS,
    // Identity claims go where each client's claimsIn says, from findAccount below; without this setting
    // oidc-provider would keep them out of every ID token of the code flow.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // oidc-provider refuses to fetch from loopback and private addresses (SSRF protection). The hub of the tests
    // listens on loopback, so its JWKS (jwks_uri of private_key_jwt clients) is fetched without that check; every
    // other address keeps it.
    fetch(url, options) {
      const target = new URL(url);
      return globalThis.fetch(url, target.href.startsWith(`${hubIssuer}/`) ? { ...options, dispatcher: undefined } : options);
    },
    jwks: signingKeys(),
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: definition.endSession !== false },
      // pushedAuthorizationRequests stays as oidc-provider ships it: enabled, advertised in discovery.
    },
    async findAccount(ctx, sub) {
      const person = people.find((p) => p.subject === sub);
      if (!person) return undefined;
      return {
        accountId: sub,
        async claims(use) {
          const where = person.claimsOnlyInUserInfo ? 'userinfo' : (claimsInByClient.get(ctx.oidc.client?.clientId) ?? 'both');
          const identity = where === 'both' || where === use ? person.claims : {};
          return { ...identity, sub };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>Error</h1>${
        Object.entries(out).map(([k, v]) => `<p><b>${escapeHtml(k)}</b>: ${escapeHtml(v)}</p>`).join('')}</body></html>`;
    },
  });
  provider.proxy = false;

  const record = (event) => (ctx) => events.push({
    event,
    clientId: ctx.oidc.client?.clientId ?? null,
    clientAuthMethod: ctx.oidc.client?.clientAuthMethod ?? null,
    // What arrived on the wire: whether the request named the client itself, and whether it came by reference.
    clientIdInBody: typeof ctx.oidc.body?.client_id === 'string',
    requestUri: typeof ctx.query?.request_uri === 'string' ? ctx.query.request_uri : null,
  });
  provider.on('pushed_authorization_request.success', record('pushed_authorization_request'));
  provider.on('grant.success', record('token'));
  // The authorization request as the browser brought it (oidc-provider's own event fires later, at the resume).
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'authorization') record('authorization')(ctx);
  });
  for (const failure of ['pushed_authorization_request.error', 'authorization.error', 'grant.error', 'userinfo.error', 'server_error']) {
    provider.on(failure, (ctx, error) => {
      // error_detail and the cause say why, where error_description stays vague on purpose (client authentication).
      const reasons = [];
      for (let e = error, depth = 0; e && depth < 5; e = e.cause, depth += 1) {
        reasons.push(...[e.error_description, e.error_detail, e === error ? undefined : e.message].filter(Boolean));
      }
      const description = [...new Set(reasons)].join(': ') || null;
      events.push({ event: failure, clientId: ctx.oidc?.client?.clientId ?? null, error: error?.error ?? error?.message ?? String(error), description });
      console.error(`${definition.name}: ${failure}: ${error?.error ?? ''} ${description ?? error?.message ?? ''}`);
    });
  }

  function signInPage(uid, interaction) {
    const choices = people.map((p, i) => `<li><label><input type="radio" name="person" value="${escapeHtml(p.username)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(p.displayName)}</label></li>`).join('');
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in at ${escapeHtml(definition.name)}</title></head>
<body>
<h1>Sign in</h1>
<p>Client: ${escapeHtml(interaction.params.client_id)}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}">
<fieldset><legend>Who are you?</legend><ul>${choices}</ul></fieldset>
<button type="submit" name="decision" value="signin">Sign in</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>
</body></html>`;
  }

  async function grantFor(interaction, accountId) {
    const { params } = interaction;
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: params.client_id });
    if (params.scope) grant.addOIDCScope(params.scope);
    if (params.claims) {
      const requested = JSON.parse(params.claims);
      grant.addOIDCClaims([...new Set([...Object.keys(requested?.userinfo ?? {}), ...Object.keys(requested?.id_token ?? {})])]);
    }
    return grant.save();
  }

  async function interaction(req, res, uid) {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (error) {
      if (error instanceof errors.SessionNotFound) {
        send(res, 400, '<!DOCTYPE html><p>This sign-in has expired or is unknown.</p>');
        return;
      }
      throw error;
    }
    if (details.uid !== uid) {
      send(res, 400, '<!DOCTYPE html><p>This sign-in belongs to another browser.</p>');
      return;
    }
    if (req.method === 'GET') {
      if (details.prompt.name === 'login') {
        send(res, 200, signInPage(uid, details));
        return;
      }
      // Signed in already, only the grant is missing: grant what was asked and go on.
      const grantId = await grantFor(details, details.session.accountId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, '', { Allow: 'GET, POST' });
      return;
    }
    const form = await readForm(req);
    if (form.get('decision') === 'cancel') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled the login.' }, { mergeWithLastSubmission: false });
      return;
    }
    const person = people.find((p) => p.username === form.get('person'));
    if (!person) {
      send(res, 400, signInPage(uid, details));
      return;
    }
    const grantId = await grantFor(details, person.subject);
    await provider.interactionFinished(req, res, {
      login: { accountId: person.subject, acr: person.acr, amr: person.amr, remember: false },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  const callback = provider.callback();
  const interactionPath = /^\/interaction\/([A-Za-z0-9_-]+)$/;
  server.on('request', (req, res) => {
    const path = req.url.split('?', 1)[0];
    if (path === '/test/events' && req.method === 'GET') {
      const body = JSON.stringify(events);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    const match = interactionPath.exec(path);
    if (!match) {
      callback(req, res);
      return;
    }
    interaction(req, res, match[1]).catch((error) => {
      console.error(`${definition.name}: interaction error`, error);
      if (!res.headersSent) send(res, error.status ?? 500, '<!DOCTYPE html><p>Something went wrong.</p>');
      else res.destroy();
    });
  });
  return { name: definition.name, issuer, server };
}

const started = [];
for (const definition of settings.providers ?? []) {
  started.push(await startProvider(definition));
}
if (started.length === 0) throw new Error('settings.providers is empty');
console.log(`READY ${JSON.stringify({ providers: started.map(({ name, issuer }) => ({ name, issuer })) })}`);

function shutdown() {
  for (const { server } of started) server.close();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (flags.includes('--exit-with-stdin')) {
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}
