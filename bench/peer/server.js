// Benchmark peer for IdentityHub: node-oidc-provider 9 configured as closely as it allows to the hub's
// benchmark clients (see README.md beside this file for what still differs).
//
//   NODE_ENV=production PORT=5300 node bench/peer/server.js
//
// Environment:
//   PORT                    TCP port on 127.0.0.1 (default 5300)
//   ISSUER                  issuer identifier (default http://localhost:$PORT)
//   PEER_PASSWORD_HASH      "pbkdf2" (default: PBKDF2-HMAC-SHA512, 100,000 iterations, 16-byte salt, 32-byte key,
//                           ASP.NET Core Identity's cost) or "none" (constant-time comparison of the plain password)
//   PEER_SUBJECT_TYPE       "public" (default: sub is the account id) or "pairwise" (bench-web gets an HMAC-derived
//                           pairwise sub for its sector, like the hub; computed, not stored)
//   PEER_STORE_MAX_ENTRIES  capacity of oidc-provider's in-memory store generation (default 1000000; the stock
//                           default is 1000, which evicts live tokens under load: see README.md)
//   PEER_UPSTREAM_ISSUER    issuer of an upstream OpenID provider (the hub's mock bank) for federated login: an
//                           authorization request with idp_hint=mock-bank signs in there instead of the password form
//                           (default: none, federated login off)
//   PEER_ACCESS_TOKEN_ALG   "RS256" (default) or "ES256": how bench-cc's JWT access tokens are signed (an ES256 key is
//                           in the JWKS either way; bench/run.sh sets it to what the hub's bench clients are registered with)
//   PEER_STORE              "memory" (default: oidc-provider's in-memory adapter class) or "postgres" (pg_adapter.js: one
//                           table of JSON payloads keyed by model and id, every write committed)
//   PEER_DATABASE_URL       PostgreSQL connection string for PEER_STORE=postgres
//                           (e.g. postgresql://postgres@127.0.0.1:5432/peer); PEER_PG_POOL its pool size (default 20)
//   PEER_UPSTREAM_CLIENT_ID, PEER_UPSTREAM_CLIENT_SECRET
//                           the peer's client at the upstream provider (default identityhub / identityhub-secret, the
//                           mock's one client, which the hub uses too)

import { createHash, createHmac, generateKeyPairSync, pbkdf2, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { promisify } from 'node:util';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

import { createPostgresAdapter } from './pg_adapter.js';

const pbkdf2Async = promisify(pbkdf2);

const PORT = Number.parseInt(process.env.PORT ?? '5300', 10);
const ISSUER = process.env.ISSUER || `http://localhost:${PORT}`;
const PASSWORD_HASH = (process.env.PEER_PASSWORD_HASH || 'pbkdf2').toLowerCase();
const SUBJECT_TYPE = (process.env.PEER_SUBJECT_TYPE || 'public').toLowerCase();
const ACCESS_TOKEN_ALG = process.env.PEER_ACCESS_TOKEN_ALG || 'RS256';
const STORE = (process.env.PEER_STORE || 'memory').toLowerCase();
const STORE_MAX_ENTRIES = Number.parseInt(process.env.PEER_STORE_MAX_ENTRIES || '1000000', 10);
const UPSTREAM_ISSUER = process.env.PEER_UPSTREAM_ISSUER || '';
const UPSTREAM_CLIENT_ID = process.env.PEER_UPSTREAM_CLIENT_ID || 'identityhub';
const UPSTREAM_CLIENT_SECRET = process.env.PEER_UPSTREAM_CLIENT_SECRET || 'identityhub-secret';

if (!['pbkdf2', 'none'].includes(PASSWORD_HASH)) {
  throw new Error(`PEER_PASSWORD_HASH must be "pbkdf2" or "none", not "${PASSWORD_HASH}"`);
}
if (!['public', 'pairwise'].includes(SUBJECT_TYPE)) {
  throw new Error(`PEER_SUBJECT_TYPE must be "public" or "pairwise", not "${SUBJECT_TYPE}"`);
}
if (!['RS256', 'ES256'].includes(ACCESS_TOKEN_ALG)) {
  throw new Error(`PEER_ACCESS_TOKEN_ALG must be "RS256" or "ES256", not "${ACCESS_TOKEN_ALG}"`);
}
if (!['memory', 'postgres'].includes(STORE)) {
  throw new Error(`PEER_STORE must be "memory" or "postgres", not "${STORE}"`);
}
if (STORE === 'postgres' && !process.env.PEER_DATABASE_URL) {
  throw new Error('PEER_STORE=postgres needs PEER_DATABASE_URL');
}
if (!(STORE_MAX_ENTRIES > 0)) {
  throw new Error('PEER_STORE_MAX_ENTRIES must be a positive integer');
}

// --- Signing keys: one RSA-2048 and one P-256 key made at start, kept in memory. -----------------------------------
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: `rsa-${randomUUID()}`, alg: 'RS256', use: 'sig' };
const { privateKey: ecPrivateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecSigningJwk = { ...ecPrivateKey.export({ format: 'jwk' }), kid: `ec-${randomUUID()}`, alg: 'ES256', use: 'sig' };

// --- The one test account. --------------------------------------------------------------------------------------
const PBKDF2 = { iterations: 100_000, saltBytes: 16, keyBytes: 32, digest: 'sha512' };

const ACCOUNT = {
  accountId: 'bench-user-1',
  username: 'bench.user',
  claims: {
    given_name: 'Bench',
    family_name: 'User',
    preferred_username: 'bench.user',
    email: 'bench.user@example.test',
    email_verified: true,
    birthdate: '1990-01-01',
    gender: 'female',
  },
};
const ACCOUNT_PASSWORD = 'Bench-Passw0rd!';
// The hub's registry password login: eIDAS low. The mock bank is registered at the hub with eIDAS substantial.
const PASSWORD_ACR = 'eidas1';
const UPSTREAM_ACR = 'eidas2';

async function hashPassword(password) {
  const salt = randomBytes(PBKDF2.saltBytes);
  const key = await pbkdf2Async(password, salt, PBKDF2.iterations, PBKDF2.keyBytes, PBKDF2.digest);
  return { salt, key };
}

// An unknown user name pays the same hash cost as a known one (the hub does the same).
const [storedHash, dummyHash] = await Promise.all([
  hashPassword(ACCOUNT_PASSWORD),
  hashPassword(randomBytes(24).toString('base64url')),
]);
const plainPassword = Buffer.from(ACCOUNT_PASSWORD, 'utf8');
const dummyPlain = randomBytes(plainPassword.length);

async function verifyPassword(username, password) {
  const known = username === ACCOUNT.username;
  const submitted = Buffer.from(password ?? '', 'utf8');
  if (PASSWORD_HASH === 'none') {
    const expected = known ? plainPassword : dummyPlain;
    return submitted.length === expected.length && timingSafeEqual(submitted, expected) && known;
  }
  const { salt, key } = known ? storedHash : dummyHash;
  const derived = await pbkdf2Async(submitted, salt, PBKDF2.iterations, PBKDF2.keyBytes, PBKDF2.digest);
  return timingSafeEqual(derived, key) && known;
}

// --- Store: oidc-provider's own in-memory adapter class, with a larger generation size, or PostgreSQL. ----------
const CLOCK_TOLERANCE = 15;
const adapter = STORE === 'postgres'
  ? await createPostgresAdapter(process.env.PEER_DATABASE_URL, CLOCK_TOLERANCE)
  : (() => {
    const store = new LRU({ maxSize: STORE_MAX_ENTRIES });
    return (model) => new MemoryAdapter(model, store, CLOCK_TOLERANCE);
  })();

// --- Resource server for JWT access tokens. -----------------------------------------------------------------------
const API_RESOURCE = 'urn:bench:api';
const API_SCOPE = 'api';
const TEN_MINUTES = 10 * 60;

const pairwiseSecret = randomBytes(32);

const configuration = {
  adapter,
  clockTolerance: CLOCK_TOLERANCE,
  acrValues: [PASSWORD_ACR, UPSTREAM_ACR],
  // The hub's parameter for choosing the identity source; kept in the interaction's params.
  extraParams: ['idp_hint'],
  clients: [
    {
      client_id: 'bench-cc',
      client_secret: 'bench-cc-secret-0123456789abcdefghijklmnop',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: API_SCOPE,
    },
    {
      client_id: 'bench-web',
      client_secret: 'bench-web-secret-0123456789abcdefghijklmnop',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://localhost:5090/signin-oidc'],
      post_logout_redirect_uris: ['http://localhost:5090/signout-callback-oidc'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email offline_access',
      subject_type: SUBJECT_TYPE,
      id_token_signed_response_alg: 'RS256',
    },
    {
      // The sso scenario's second service, logged in to from bench-web's session.
      client_id: 'bench-sso',
      client_secret: 'bench-sso-secret-0123456789abcdefghijklmnop',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:5091/signin-oidc'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email',
      subject_type: SUBJECT_TYPE,
      id_token_signed_response_alg: 'RS256',
    },
  ],
  clientDefaults: {
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: 'RS256',
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  // The hub accepts these four; oidc-provider's default list adds client_secret_jwt.
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  clientBasedCORS: () => false,
  cookies: {
    // Signed cookies (keygrip); the key lives as long as the process. Plain HTTP on loopback: oidc-provider sets
    // `secure` only when the request itself is secure, so nothing more is needed here.
    keys: [randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  jwks: { keys: [signingJwk, ecSigningJwk] },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256'],
    userinfoSigningAlgValues: ['RS256'],
    introspectionSigningAlgValues: ['RS256'],
    authorizationSigningAlgValues: ['RS256'],
    requestObjectSigningAlgValues: ['RS256'],
    clientAuthSigningAlgValues: ['RS256'],
  },
  responseTypes: ['code'],
  scopes: ['openid', 'offline_access', 'profile', 'email', API_SCOPE],
  subjectTypes: SUBJECT_TYPE === 'pairwise' ? ['public', 'pairwise'] : ['public'],
  async pairwiseIdentifier(ctx, accountId, client) {
    return createHmac('sha256', pairwiseSecret).update(`${client.sectorIdentifier}\u0000${accountId}`).digest('base64url');
  },
  claims: {
    // acr, amr and auth_time in every ID token, as the hub puts them (oidc-provider otherwise adds them only when
    // asked for through the claims parameter, acr_values or max_age).
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['given_name', 'family_name', 'preferred_username', 'gender', 'birthdate'],
    email: ['email', 'email_verified'],
    acr: null,
    amr: null,
    auth_time: null,
    sid: null,
    iss: null,
  },
  // The hub puts the scopes' identity claims in the ID token too, not only at userinfo.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  // Refresh tokens are issued to every client allowed the refresh_token grant, whether or not oidc-provider kept
  // offline_access in the granted scope (it drops offline_access unless prompt=consent is sent), and they are
  // rotated on every use. A spent refresh token presented again is refused and revokes its whole grant.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  // Tokens of an offline grant outlive the browser session, as offline_access asks.
  expiresWithSession: async (ctx, source) => !ctx.oidc.client?.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: TEN_MINUTES,
    AuthorizationCode: 60,
    ClientCredentials: TEN_MINUTES,
    IdToken: TEN_MINUTES,
    RefreshToken: 12 * 60 * 60,
    Grant: 12 * 60 * 60,
    Interaction: 15 * 60,
    Session: 60 * 60,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // A client may introspect only the tokens issued to it (OpenIddict's rule at the hub).
      allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
    },
    revocation: {
      enabled: true,
      // A client may revoke only its own tokens (the default says the same, with a start-up notice).
      allowedPolicy: async (ctx, client, token) => {
        if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        return true;
      },
    },
    userinfo: { enabled: true },
    claimsParameter: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // Not offered by the hub.
    dPoP: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    resourceIndicators: {
      enabled: true,
      // client_credentials always targets the benchmark API, so it gets a JWT access token without a resource
      // parameter. The code flow gets no default resource: its access token must stay usable at userinfo, which
      // oidc-provider allows only for an opaque token without audience.
      async defaultResource(ctx, client, oneOf) {
        if (oneOf) return oneOf;
        if (ctx.oidc.route === 'token' && ctx.oidc.params.grant_type === 'client_credentials') return API_RESOURCE;
        return undefined;
      },
      async useGrantedResource() {
        return false;
      },
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== API_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: API_SCOPE,
          audience: API_RESOURCE,
          accessTokenTTL: TEN_MINUTES,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: ACCESS_TOKEN_ALG } },
        };
      },
    },
  },
  async findAccount(ctx, sub) {
    const claims = sub === ACCOUNT.accountId ? ACCOUNT.claims : federatedAccounts.get(sub);
    if (!claims) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...claims };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error</title></head><body><h1>Error</h1>${
      Object.entries(out).map(([k, v]) => `<p><b>${escapeHtml(k)}</b>: ${escapeHtml(v)}</p>`).join('')}</body></html>`;
  },
};

const provider = new Provider(ISSUER, configuration);
provider.proxy = false;
provider.on('server_error', (ctx, error) => {
  console.error('server_error', ctx.method, ctx.path, error);
});

// --- Interactions: the login form, then the grant, with no separate consent page. ----------------------------------
function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function loginPage(uid, message) {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}<form method="post" action="${escapeHtml(action)}" autocomplete="off">
<label>User name <input name="username" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

function send(res, status, body, headers = {}) {
  const buffer = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': buffer.length,
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(buffer);
}

function readForm(req, limit = 8 * 1024) {
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

// Scopes and claims asked for by the authorization request, granted at once (no consent page).
function requestedClaims(claimsParameter) {
  if (!claimsParameter) return [];
  try {
    const parsed = typeof claimsParameter === 'string' ? JSON.parse(claimsParameter) : claimsParameter;
    return [...new Set([...Object.keys(parsed?.userinfo ?? {}), ...Object.keys(parsed?.id_token ?? {})])];
  } catch {
    return [];
  }
}

async function grantFor(interaction, accountId) {
  const { params } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  const claims = requestedClaims(params.claims);
  if (claims.length) grant.addOIDCClaims(claims);
  const missing = interaction.prompt?.details?.missingResourceScopes;
  if (missing) {
    for (const [indicator, scopes] of Object.entries(missing)) grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/;

async function handleInteraction(req, res, uid, isLogin) {
  let interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch (error) {
    if (error instanceof errors.SessionNotFound) {
      send(res, 400, '<!DOCTYPE html><p>This sign-in has expired or is unknown. Start again.</p>');
      return;
    }
    throw error;
  }
  if (interaction.uid !== uid) {
    send(res, 400, '<!DOCTYPE html><p>This sign-in does not belong to this browser.</p>');
    return;
  }

  if (!isLogin) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, '', { Allow: 'GET' });
      return;
    }
    if (interaction.prompt.name === 'login') {
      if (UPSTREAM_ISSUER && interaction.params.idp_hint === UPSTREAM_ID) {
        await startUpstreamLogin(res, interaction);
        return;
      }
      send(res, 200, loginPage(uid));
      return;
    }
    // Already signed in, only the grant is missing (e.g. prompt=consent with a live session): grant and resume.
    const grantId = await grantFor(interaction, interaction.session.accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  if (req.method !== 'POST') {
    send(res, 405, '', { Allow: 'POST' });
    return;
  }
  const form = await readForm(req);
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  if (!(await verifyPassword(username, password))) {
    send(res, 401, loginPage(uid, 'Wrong user name or password.'));
    return;
  }
  const grantId = await grantFor(interaction, ACCOUNT.accountId);
  await provider.interactionFinished(req, res, {
    login: { accountId: ACCOUNT.accountId, acr: PASSWORD_ACR, amr: ['pwd'], remember: true },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

// --- Federated login: the peer as a client of the upstream provider, as the hub is of its identity sources. --------
// Authorization code with PKCE S256, state and nonce; the code exchanged with client_secret_basic; the ID token's
// RS256 signature, issuer, audience, lifetime and nonce checked; then the upstream userinfo (OpenIddict's client, at
// the hub, calls it too). The state is single-use and bound to the browser by a cookie; accounts are found or made by
// identity number, in memory.
const UPSTREAM_ID = 'mock-bank';
const UPSTREAM_CALLBACK_PATH = `/upstream/${UPSTREAM_ID}/callback`;
const UPSTREAM_TIMEOUT_MS = 10_000; // the hub's Hub__Federation__TimeoutSeconds default
const UPSTREAM_STATE_TTL_MS = 15 * 60 * 1000; // an interaction's lifetime
// One cookie per pending state, so that two federated logins in one browser do not overwrite each other's binding.
const upstreamCookie = (state) => `peer_upstream_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
// eIDAS levels in order: what a source asserts is capped at the level it is registered for (as the hub does).
const ACR_ORDER = ['eidas1', 'eidas2', 'eidas3'];
const upstreamBasic = `Basic ${Buffer.from(`${encodeURIComponent(UPSTREAM_CLIENT_ID)}:${encodeURIComponent(UPSTREAM_CLIENT_SECRET)}`).toString('base64')}`;
const pendingUpstream = new Map(); // state → { uid, nonce, verifier, binding, timer }
const federatedAccounts = new Map(); // accountId → claims
const accountByIdentityNumber = new Map(); // identity_number → accountId

let upstreamMetadata;
async function upstream() {
  if (!upstreamMetadata) {
    const response = await fetch(`${UPSTREAM_ISSUER.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`upstream discovery: HTTP ${response.status}`);
    const metadata = await response.json();
    if (metadata.issuer !== UPSTREAM_ISSUER) throw new Error(`upstream discovery: issuer ${metadata.issuer} is not ${UPSTREAM_ISSUER}`);
    upstreamMetadata = { ...metadata, keys: createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: UPSTREAM_TIMEOUT_MS }) };
  }
  return upstreamMetadata;
}

async function startUpstreamLogin(res, interaction) {
  const metadata = await upstream();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const binding = randomBytes(16).toString('base64url');
  const timer = setTimeout(() => pendingUpstream.delete(state), UPSTREAM_STATE_TTL_MS).unref();
  pendingUpstream.set(state, { uid: interaction.uid, nonce, verifier, binding, timer });
  const target = new URL(metadata.authorization_endpoint);
  target.search = new URLSearchParams({
    response_type: 'code',
    client_id: UPSTREAM_CLIENT_ID,
    redirect_uri: `${ISSUER}${UPSTREAM_CALLBACK_PATH}`,
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    // What the hub passes upstream too.
    ...(interaction.params.prompt?.split(' ').includes('login') ? { prompt: 'login' } : {}),
    ...(interaction.params.max_age !== undefined ? { max_age: String(interaction.params.max_age) } : {}),
  }).toString();
  send(res, 303, '', {
    Location: target.href,
    'Set-Cookie': `${upstreamCookie(state)}=${binding}; Path=${UPSTREAM_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=${UPSTREAM_STATE_TTL_MS / 1000}`,
  });
}

function cookieValue(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sameSecret(a, b) {
  const left = Buffer.from(a ?? '', 'utf8');
  const right = Buffer.from(b ?? '', 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

async function upstreamJson(url, init, what) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
  const body = await response.json().catch(() => undefined);
  if (!response.ok || !body || typeof body !== 'object') throw new Error(`upstream ${what}: HTTP ${response.status} ${body?.error ?? ''}`);
  return body;
}

// An unknown or missing level counts as the lowest.
function cappedAcr(asserted) {
  const level = Math.max(0, ACR_ORDER.indexOf(asserted));
  return ACR_ORDER[Math.min(level, ACR_ORDER.indexOf(UPSTREAM_ACR))];
}

async function finishInteraction(res, uid, result) {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) {
    send(res, 400, '<!DOCTYPE html><p>This sign-in has expired or is unknown. Start again.</p>');
    return;
  }
  if (result.login) result.consent = { grantId: await grantFor(interaction, result.login.accountId) };
  interaction.result = result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  send(res, 303, '', { Location: interaction.returnTo });
}

async function handleUpstreamCallback(req, res, url) {
  if (req.method !== 'GET') {
    send(res, 405, '', { Allow: 'GET' });
    return;
  }
  const state = url.searchParams.get('state') ?? '';
  const pending = pendingUpstream.get(state);
  // Only the browser that started this login can use (and so spend) its state.
  if (!pending || !sameSecret(cookieValue(req, upstreamCookie(state)), pending.binding)) {
    send(res, 400, '<!DOCTYPE html><p>This sign-in response is unknown, already used, or from another browser.</p>');
    return;
  }
  pendingUpstream.delete(state); // single use, whatever follows
  clearTimeout(pending.timer);
  const clearCookie = `${upstreamCookie(state)}=; Path=${UPSTREAM_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=0`;
  res.setHeader('Set-Cookie', clearCookie);
  if (url.searchParams.has('error')) {
    await finishInteraction(res, pending.uid, {
      error: 'access_denied', error_description: `the identity source answered ${url.searchParams.get('error')}`,
    });
    return;
  }
  const metadata = await upstream();
  const tokens = await upstreamJson(metadata.token_endpoint, {
    method: 'POST',
    headers: { Authorization: upstreamBasic, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: url.searchParams.get('code') ?? '',
      redirect_uri: `${ISSUER}${UPSTREAM_CALLBACK_PATH}`,
      code_verifier: pending.verifier,
    }).toString(),
  }, 'token');
  const { payload } = await jwtVerify(String(tokens.id_token ?? ''), metadata.keys, {
    issuer: UPSTREAM_ISSUER, audience: UPSTREAM_CLIENT_ID, algorithms: ['RS256'], requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
  });
  if (!sameSecret(payload.nonce, pending.nonce)) throw new Error('upstream ID token: nonce does not match');
  const userinfo = metadata.userinfo_endpoint && tokens.access_token
    ? await upstreamJson(metadata.userinfo_endpoint, { headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' } }, 'userinfo')
    : {};
  if (metadata.userinfo_endpoint && tokens.access_token && userinfo.sub !== payload.sub) {
    throw new Error('upstream userinfo: sub is missing or differs from the ID token');
  }
  const claims = { ...payload, ...userinfo };
  const identityNumber = typeof claims.identity_number === 'string' ? claims.identity_number : '';
  if (!identityNumber) {
    await finishInteraction(res, pending.uid, { error: 'access_denied', error_description: 'the identity source did not give an identity number' });
    return;
  }
  let accountId = accountByIdentityNumber.get(identityNumber);
  if (!accountId) {
    accountId = `fed-${randomUUID()}`;
    accountByIdentityNumber.set(identityNumber, accountId);
  }
  federatedAccounts.set(accountId, {
    given_name: claims.given_name,
    family_name: claims.family_name,
    gender: claims.gender,
    birthdate: claims.birthdate,
    email: claims.email,
    email_verified: false,
  });
  await finishInteraction(res, pending.uid, {
    login: { accountId, acr: cappedAcr(payload.acr), amr: Array.isArray(payload.amr) ? payload.amr : undefined, remember: true },
  });
}

const providerCallback = provider.callback();

const server = createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  if (UPSTREAM_ISSUER && path === UPSTREAM_CALLBACK_PATH) {
    handleUpstreamCallback(req, res, new URL(req.url, ISSUER)).catch((error) => {
      console.error('upstream callback error', error);
      if (!res.headersSent) send(res, 502, '<!DOCTYPE html><p>The identity source could not be reached or answered wrongly.</p>');
      else res.destroy();
    });
    return;
  }
  const match = INTERACTION_PATH.exec(path);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  handleInteraction(req, res, match[1], match[2] === '/login').catch((error) => {
    console.error('interaction error', req.method, path, error);
    if (!res.headersSent) send(res, error.status ?? 500, '<!DOCTYPE html><p>Something went wrong.</p>');
    else res.destroy();
  });
});

// Keep pooled client connections open between requests (Node closes idle ones after 5 s by default; Kestrel 130 s).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 60_000;

server.listen(PORT, '127.0.0.1', () => {
  console.log(`peer: oidc-provider listening on http://127.0.0.1:${PORT} issuer=${ISSUER} `
    + `password_hash=${PASSWORD_HASH === 'none' ? 'none' : `pbkdf2-sha512/${PBKDF2.iterations}`} `
    + `subject_type=${SUBJECT_TYPE} store_max_entries=${STORE_MAX_ENTRIES} upstream=${UPSTREAM_ISSUER || 'none'} `
    + `node_env=${process.env.NODE_ENV ?? ''}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
