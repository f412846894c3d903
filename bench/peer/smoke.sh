#!/usr/bin/env bash
# Smoke test of the benchmark peer with curl: discovery and JWKS, client_credentials (JWT access token), and the
# full code flow with PKCE through the login form (fresh cookie jar) -> token -> userinfo -> refresh (rotation,
# replay refused) -> introspection -> revocation. Expects a running peer:
#   NODE_ENV=production node bench/peer/server.js &   then   bash bench/peer/smoke.sh [base-url]
set -euo pipefail

BASE="${1:-${PEER_URL:-http://localhost:${PORT:-5300}}}"
CC_AUTH="bench-cc:bench-cc-secret-0123456789abcdefghijklmnop"
WEB_AUTH="bench-web:bench-web-secret-0123456789abcdefghijklmnop"
REDIRECT_URI="http://localhost:5090/signin-oidc"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
JAR="$WORK/jar"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
# json FILE EXPR: evaluate a JavaScript expression over the parsed JSON document `j`.
json() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = eval(process.argv[2]); console.log(typeof v === "string" ? v : JSON.stringify(v));' -- "$1" "$2"; }
jwt_part() { node -e 'console.log(JSON.stringify(JSON.parse(Buffer.from(process.argv[1].split(".")[process.argv[2]], "base64url"))))' -- "$1" "$2"; }
# request METHOD URL [curl args...]: prints the status; headers in $WORK/h, body in $WORK/b.
request() {
  local method="$1" url="$2"; shift 2
  curl -sS -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' -X "$method" "$@" "$url"
}
location() { tr -d '\r' < "$WORK/h" | awk 'tolower($1) == "location:" { print $2 }'; }
absolute() { case "$1" in http*) echo "$1" ;; *) echo "$BASE$1" ;; esac; }
expect() { [ "$1" = "$2" ] || { echo "--- headers"; cat "$WORK/h"; echo "--- body"; head -c 2000 "$WORK/b"; echo; fail "$3: status $1, expected $2"; }; }

# (1) discovery and JWKS
expect "$(request GET "$BASE/.well-known/openid-configuration")" 200 discovery
cp "$WORK/b" "$WORK/discovery.json"
JWKS_URI="$(json "$WORK/discovery.json" j.jwks_uri)"
TOKEN_URI="$(json "$WORK/discovery.json" j.token_endpoint)"
AUTH_URI="$(json "$WORK/discovery.json" j.authorization_endpoint)"
USERINFO_URI="$(json "$WORK/discovery.json" j.userinfo_endpoint)"
INTROSPECT_URI="$(json "$WORK/discovery.json" j.introspection_endpoint)"
REVOKE_URI="$(json "$WORK/discovery.json" j.revocation_endpoint)"
ok "discovery: issuer $(json "$WORK/discovery.json" j.issuer), jwks_uri $JWKS_URI"
expect "$(request GET "$JWKS_URI")" 200 jwks
cp "$WORK/b" "$WORK/jwks.json"
ok "jwks: $(json "$WORK/jwks.json" 'j.keys.map(k => k.kty + "/" + k.alg + "/" + k.kid)')"

verify_jwt() { # verify_jwt TOKEN: RS256 signature checked against the JWKS
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { createRequire } from "node:module";
    const require = createRequire(process.argv[2] + "/");
    const { jwtVerify, createLocalJWKSet } = await import(require.resolve("jose"));
    const jwks = createLocalJWKSet(JSON.parse(readFileSync(process.argv[3], "utf8")));
    const { protectedHeader } = await jwtVerify(process.argv[1], jwks, { algorithms: ["RS256"] });
    console.log(protectedHeader.alg);' -- "$1" "$(cd "$(dirname "$0")" && pwd)/node_modules/oidc-provider" "$WORK/jwks.json"
}

# (2) client_credentials: a JWT access token signed RS256
expect "$(request POST "$TOKEN_URI" -u "$CC_AUTH" -d grant_type=client_credentials -d scope=api)" 200 client_credentials
CC_AT="$(json "$WORK/b" j.access_token)"
[ "$(verify_jwt "$CC_AT")" = RS256 ] || fail "client_credentials access token is not a valid RS256 JWT"
ok "client_credentials: header $(jwt_part "$CC_AT" 0)"
ok "client_credentials: payload $(jwt_part "$CC_AT" 1)"

# (3) full login with PKCE through the login form, fresh cookie jar
VERIFIER="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')"
CHALLENGE="$(node -e 'console.log(require("crypto").createHash("sha256").update(process.argv[1]).digest("base64url"))' -- "$VERIFIER")"
STATE="state-$RANDOM$RANDOM"
NONCE="nonce-$RANDOM$RANDOM"
rm -f "$JAR"
START=$(date +%s%N)
status=$(request GET "$AUTH_URI" -G -c "$JAR" -b "$JAR" \
  --data-urlencode response_type=code --data-urlencode client_id=bench-web \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "scope=openid profile email offline_access" \
  --data-urlencode "state=$STATE" --data-urlencode "nonce=$NONCE" \
  --data-urlencode "code_challenge=$CHALLENGE" --data-urlencode code_challenge_method=S256)
expect "$status" 303 "GET /auth"
LOGIN_PAGE="$(absolute "$(location)")"
ok "GET /auth -> 303 Location $(location)"
expect "$(request GET "$LOGIN_PAGE" -c "$JAR" -b "$JAR")" 200 "GET login form"
ACTION="$(grep -o 'action="[^"]*"' "$WORK/b" | head -1 | sed 's/^action="//; s/"$//')"
ok "GET ${LOGIN_PAGE#"$BASE"} -> 200 form action $ACTION"
status=$(request POST "$(absolute "$ACTION")" -c "$JAR" -b "$JAR" \
  --data-urlencode username=bench.user --data-urlencode 'password=Bench-Passw0rd!')
expect "$status" 303 "POST login"
RESUME="$(location)"
ok "POST $ACTION -> 303 Location $RESUME"
expect "$(request GET "$(absolute "$RESUME")" -c "$JAR" -b "$JAR")" 303 "GET resume"
CALLBACK="$(location)"
ok "GET ${RESUME#"$BASE"} -> 303 Location $CALLBACK"
case "$CALLBACK" in "$REDIRECT_URI?"*) ;; *) fail "unexpected callback $CALLBACK" ;; esac
CODE="$(node -e 'const u = new URL(process.argv[1]); console.log(u.searchParams.get("code"))' -- "$CALLBACK")"
[ "$(node -e 'console.log(new URL(process.argv[1]).searchParams.get("state"))' -- "$CALLBACK")" = "$STATE" ] || fail "state mismatch"
expect "$(request POST "$TOKEN_URI" -u "$WEB_AUTH" -d grant_type=authorization_code --data-urlencode "code=$CODE" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$VERIFIER")" 200 "code exchange"
END=$(date +%s%N)
cp "$WORK/b" "$WORK/tokens.json"
AT="$(json "$WORK/tokens.json" j.access_token)"
RT="$(json "$WORK/tokens.json" j.refresh_token)"
IDT="$(json "$WORK/tokens.json" j.id_token)"
[ -n "$AT" ] && [ -n "$RT" ] && [ -n "$IDT" ] || fail "missing token in $(cat "$WORK/tokens.json")"
[ "$(verify_jwt "$IDT")" = RS256 ] || fail "id_token is not a valid RS256 JWT"
ok "code exchange: scope '$(json "$WORK/tokens.json" j.scope)', expires_in $(json "$WORK/tokens.json" j.expires_in)"
ok "id_token header $(jwt_part "$IDT" 0)"
ok "id_token payload $(jwt_part "$IDT" 1)"
ok "login (5 requests: authorize, form, post, resume, token): $(( (END - START) / 1000000 )) ms wall time, curl and node start-ups included (time-login.mjs times the server)"

expect "$(request GET "$USERINFO_URI" -H "Authorization: Bearer $AT")" 200 userinfo
ok "userinfo: $(cat "$WORK/b")"

# refresh: rotated, the old refresh token is then refused
expect "$(request POST "$TOKEN_URI" -u "$WEB_AUTH" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 200 refresh
RT2="$(json "$WORK/b" j.refresh_token)"
AT2="$(json "$WORK/b" j.access_token)"
[ -n "$RT2" ] && [ "$RT2" != "$RT" ] || fail "refresh token not rotated"
ok "refresh: new refresh token issued (rotated), id_token $( [ "$(json "$WORK/b" 'j.id_token ? "yes" : "no"')" = yes ] && echo returned || echo absent)"
expect "$(request POST "$TOKEN_URI" -u "$WEB_AUTH" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 400 "replayed refresh"
[ "$(json "$WORK/b" j.error)" = invalid_grant ] || fail "replayed refresh: $(cat "$WORK/b")"
ok "replayed refresh token -> 400 $(cat "$WORK/b")"
# the replay revoked the whole grant (oidc-provider's reuse detection): the rotated token is dead too
expect "$(request POST "$INTROSPECT_URI" -u "$WEB_AUTH" --data-urlencode "token=$RT2")" 200 "introspect rotated"
ok "introspection of the rotated refresh token after the replay: $(cat "$WORK/b")"

# a second login (the browser session is reused: no form) to get a live grant for introspection and revocation
expect "$(request GET "$AUTH_URI" -G -c "$JAR" -b "$JAR" \
  --data-urlencode response_type=code --data-urlencode client_id=bench-web \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "scope=openid profile email offline_access" \
  --data-urlencode "state=$STATE" --data-urlencode "code_challenge=$CHALLENGE" --data-urlencode code_challenge_method=S256)" 303 "GET /auth with session"
CALLBACK="$(location)"
# The replay above revoked the grant, so the session has no grant for bench-web any more: oidc-provider asks for
# consent, which /interaction/:uid grants at once (303 to /auth/:uid) without showing a form.
for _ in 1 2 3; do
  case "$CALLBACK" in "$REDIRECT_URI?"*) break ;; esac
  expect "$(request GET "$(absolute "$CALLBACK")" -c "$JAR" -b "$JAR")" 303 "follow ${CALLBACK%%\?*}"
  ok "  GET ${CALLBACK#"$BASE"} -> 303 Location $(location)"
  CALLBACK="$(location)"
done
case "$CALLBACK" in "$REDIRECT_URI?"*) ;; *) fail "session reuse: unexpected $CALLBACK" ;; esac
CODE="$(node -e 'console.log(new URL(process.argv[1]).searchParams.get("code"))' -- "$CALLBACK")"
expect "$(request POST "$TOKEN_URI" -u "$WEB_AUTH" -d grant_type=authorization_code --data-urlencode "code=$CODE" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$VERIFIER")" 200 "code exchange 2"
AT="$(json "$WORK/b" j.access_token)"
RT="$(json "$WORK/b" j.refresh_token)"
ok "second authorize with the session cookie (no login form) -> callback; code exchanged"

expect "$(request POST "$INTROSPECT_URI" -u "$WEB_AUTH" --data-urlencode "token=$AT")" 200 introspection
[ "$(json "$WORK/b" j.active)" = true ] || fail "access token not active: $(cat "$WORK/b")"
ok "introspection (access token): $(cat "$WORK/b")"
expect "$(request POST "$INTROSPECT_URI" -u "$WEB_AUTH" --data-urlencode "token=$RT" -d token_type_hint=refresh_token)" 200 introspection
[ "$(json "$WORK/b" j.active)" = true ] || fail "refresh token not active: $(cat "$WORK/b")"
ok "introspection (refresh token): $(cat "$WORK/b")"

expect "$(request POST "$REVOKE_URI" -u "$WEB_AUTH" --data-urlencode "token=$RT" -d token_type_hint=refresh_token)" 200 revocation
ok "revocation (refresh token) -> 200"
expect "$(request POST "$INTROSPECT_URI" -u "$WEB_AUTH" --data-urlencode "token=$RT")" 200 introspection
[ "$(json "$WORK/b" j.active)" = false ] || fail "revoked refresh token still active"
expect "$(request POST "$TOKEN_URI" -u "$WEB_AUTH" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 400 "revoked refresh"
ok "revoked refresh token: introspection active=false, refresh -> 400 $(json "$WORK/b" j.error)"
expect "$(request GET "$USERINFO_URI" -H "Authorization: Bearer $AT")" 401 "userinfo after grant revocation"
ok "access token of the revoked grant -> userinfo 401"

# wrong password: 401 with the form again, no redirect
rm -f "$JAR"
expect "$(request GET "$AUTH_URI" -G -c "$JAR" -b "$JAR" \
  --data-urlencode response_type=code --data-urlencode client_id=bench-web \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "scope=openid" \
  --data-urlencode "code_challenge=$CHALLENGE" --data-urlencode code_challenge_method=S256)" 303 "GET /auth"
LOGIN_PAGE="$(absolute "$(location)")"
expect "$(request POST "$LOGIN_PAGE/login" -c "$JAR" -b "$JAR" --data-urlencode username=bench.user --data-urlencode password=wrong)" 401 "wrong password"
ok "wrong password -> 401"

echo "smoke: all passed"
