#!/usr/bin/env bash
# Measures the hub and node-oidc-provider side by side on this machine (issue 6; see bench/README.md).
# Starts a throwaway PostgreSQL cluster, the hub (Release, Production settings, PostgreSQL, HTTP on loopback),
# the mock upstream provider and the peer; runs every scenario against both, interleaved; writes
# bench/results/<date>.md and .json. Then, unless turned off: both at 70 % of each one's maximum rate (RATE_PROBE),
# two hub instances behind nginx (NGINX_PROBE), 200,000 active sessions (SCALE_PROBE). Loopback only; every run is
# bounded in time and requests.
#   bench/run.sh                      # the full run (about 16 minutes on 2 cores)
#   LEVELS="8" SECONDS_PER_RUN=5 bench/run.sh   # a quick one
#   RATE_PROBE=0 NGINX_PROBE=0 SCALE_PROBE=0 bench/run.sh   # the scenarios only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

LEVELS=${LEVELS:-"8 32"}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
WARMUP=${WARMUP:-4}  # per run, after the pre-warm below; 4 s keeps the full run well under 15 minutes
SCENARIOS=${SCENARIOS:-"discovery jwks client-credentials refresh login login-mfa federated-login introspection data-introspection userinfo sso logout"}
# login-mfa: registry people with an authenticator app, each used at most once per 30-second step (bench/README.md).
MFA_PEOPLE=${MFA_PEOPLE:-200}
# Seconds per scenario, once, before anything is measured (JIT, pools, caches): at least 20 s in all, since a fresh
# .NET process needs that much load to run its optimised code (bench/README.md); short runs otherwise measure the JIT.
scenario_count=$(wc -w <<<"$SCENARIOS")
PREWARM=${PREWARM:-$(( (20 + scenario_count - 1) / scenario_count > 2 ? (20 + scenario_count - 1) / scenario_count : 2 ))}
HUB_DIR=${HUB_DIR:-$root}  # another checkout of the hub, to measure a before/after pair with the same driver and peer
HUB_PORT=${HUB_PORT:-5580}
PEER_PORT=${PEER_PORT:-5590}
# The peer a second time, storing in the same PostgreSQL cluster as the hub (bench/peer/pg_adapter.js): "peer-pg".
PEER_PG=${PEER_PG:-1}
PEER_PG_PORT=${PEER_PG_PORT:-5592}
MOCK_PORT=${MOCK_PORT:-5595}
RATE_PROBE=${RATE_PROBE:-1}
# How the bench services' access tokens are signed, at the hub (accessTokenSignedResponseAlg) and at both peers (bench-cc's
# JWTs; bench-web's access tokens are opaque there). ID tokens are RS256 on every server.
ACCESS_TOKEN_ALG=${ACCESS_TOKEN_ALG:-ES256}
# SQL statements per operation at the hub and at peer-pg, from pg_stat_statements (bench/README.md, "Statements").
PG_STATEMENTS=${PG_STATEMENTS:-1}
RATE_SCENARIOS=${RATE_SCENARIOS:-"client-credentials refresh introspection userinfo"}
RATE_WORKERS=${RATE_WORKERS:-64}  # enough to keep up with 70 % of the maximum rate even when latency rises
NGINX_PROBE=${NGINX_PROBE:-1}
NGINX_SCENARIOS=${NGINX_SCENARIOS:-$SCENARIOS}  # the same scenarios as the single hub
NGINX_PORT=${NGINX_PORT:-5585}
HUB2_PORT=${HUB2_PORT:-5581}      # the two hub instances behind nginx
HUB3_PORT=${HUB3_PORT:-5582}
# They are fresh processes, each getting half of the load: pre-warmed through nginx for at least 40 s in all.
nginx_count=$(wc -w <<<"$NGINX_SCENARIOS")
X2_PREWARM=${X2_PREWARM:-$(( nginx_count == 0 ? 2 : (40 + nginx_count - 1) / nginx_count > 2 ? (40 + nginx_count - 1) / nginx_count : 2 ))}
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
work=$(mktemp -d /tmp/identityhub-bench.XXXXXX)
results="$root/bench/results"
mkdir -p "$results"
pids=()
x2_pids=()  # nginx and the two hub instances behind it, stopped as soon as their probe is done

# Two cores: servers (and PostgreSQL) on core 1, the load driver on core 0.
server_cpu=${SERVER_CPU:-1}
driver_cpu=${DRIVER_CPU:-0}
can_pin() { command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; }
pin() { if can_pin; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
# For servers started with '&': exec keeps one process, so $! is the server's own pid (its CPU is measured).
spawn() { if can_pin; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

cleanup() {
  for pid in "${x2_pids[@]}" "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${pgdata:-}" ]; then run_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port_in_use() { python3 -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"; }
wait_for() { for _ in $(seq 1 120); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "Timed out waiting for $1" >&2; return 1; }

peer_ports=$PEER_PORT; [ "$PEER_PG" = 1 ] && peer_ports+=" $PEER_PG_PORT"
for port in "$HUB_PORT" $peer_ports "$MOCK_PORT"; do
  if port_in_use "$port"; then echo "Port $port on 127.0.0.1 is already in use: set HUB_PORT, PEER_PORT, PEER_PG_PORT or MOCK_PORT." >&2; exit 1; fi
done

echo "== Building (Release)"
for project in "$HUB_DIR/src/IdentityHub" tests/MockIdentityProvider bench/LoadDriver; do dotnet build -c Release -v quiet -nologo "$project" >/dev/null; done
hub_commit=$(git -C "$HUB_DIR" rev-parse --short HEAD)
if [ ! -f bench/peer/node_modules/.package-lock.json ] || [ bench/peer/package-lock.json -nt bench/peer/node_modules/.package-lock.json ]; then
  (cd bench/peer && npm ci --omit=dev --no-audit --no-fund >/dev/null)
fi

echo "== PostgreSQL (throwaway cluster)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
pgdata="$work/pg"
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$pgdata"; [ "$(id -u)" = 0 ] && chown postgres "$work" "$pgdata"
pg_statements_options=""
[ "$PG_STATEMENTS" = 1 ] && pg_statements_options=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top -c pg_stat_statements.max=5000"
run_pg "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --no-sync --locale=C >/dev/null
run_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg.log" -w -o "-p $pgport -k $work -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB$pg_statements_options" start >/dev/null
pgpid=$(head -n1 "$pgdata/postmaster.pid")
command -v taskset >/dev/null && taskset -a -cp "$server_cpu" "$pgpid" >/dev/null 2>&1 || true

echo "== Hub (Release, Production, PostgreSQL)"
hub_url="http://127.0.0.1:$HUB_PORT"
nginx_url="http://127.0.0.1:$NGINX_PORT"
admin_secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
pairwise_key=$(head -c 32 /dev/urandom | base64)
# start_hub LOG LISTEN-URL ISSUER: one hub instance in the background ($! is its pid). Every instance of a run has the
# same environment (database, pairwise-subject key, admin secret) but for its listen address and the issuer.
start_hub() {
  (
    export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$2" Hub__Issuer="$3" Hub__RequireHttps=false \
      Hub__Database__Provider=Postgres ConnectionStrings__Hub="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=hub;Maximum Pool Size=200" \
      Hub__Subjects__PairwiseKey="$pairwise_key" Hub__Bootstrap__AdminClientSecret="$admin_secret" \
      Hub__Registry__RateLimits__PerIpPerMinute=1000000 Hub__Registry__RateLimits__PerAccountPerMinute=1000000 \
      Logging__LogLevel__Default=Warning
    spawn "$server_cpu" dotnet "$HUB_DIR/src/IdentityHub/bin/Release/net10.0/IdentityHub.dll"
  ) >"$work/$1.log" 2>&1 &
}
start_hub hub "$hub_url" "$hub_url/"
hub_pid=$!; pids+=("$hub_pid")
wait_for "$hub_url/health/ready" || { tail -n 40 "$work/hub.log" >&2; exit 1; }

echo "== Mock upstream provider"
mock_url="http://127.0.0.1:$MOCK_PORT"
(
  export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$mock_url" Mock__Issuer="$mock_url" \
    Mock__RedirectUris__0="$hub_url/signin/mock-bank" Mock__RedirectUris__1="$nginx_url/signin/mock-bank" \
    Mock__RedirectUris__2="http://127.0.0.1:$PEER_PORT/upstream/mock-bank/callback" \
    Mock__RedirectUris__3="http://127.0.0.1:$PEER_PG_PORT/upstream/mock-bank/callback" \
    Mock__PostLogoutRedirectUris__0="$hub_url/signout/mock-bank" Mock__PostLogoutRedirectUris__1="$nginx_url/signout/mock-bank" \
    Logging__LogLevel__Default=Warning
  spawn "$server_cpu" dotnet tests/MockIdentityProvider/bin/Release/net10.0/MockIdentityProvider.dll
) >"$work/mock.log" 2>&1 &
mock_pid=$!; pids+=("$mock_pid")
wait_for "$mock_url/.well-known/openid-configuration"

echo "== Peer (node-oidc-provider)"
peer_url="http://127.0.0.1:$PEER_PORT"
(
  # The peer signs in at the same mock source, with the same client, as the hub (idp_hint=mock-bank).
  export NODE_ENV=production PORT="$PEER_PORT" ISSUER="$peer_url" PEER_UPSTREAM_ISSUER="$mock_url" PEER_ACCESS_TOKEN_ALG="$ACCESS_TOKEN_ALG"
  spawn "$server_cpu" node bench/peer/server.js
) >"$work/peer.log" 2>&1 &
peer_pid=$!; pids+=("$peer_pid")
wait_for "$peer_url/.well-known/openid-configuration"
# peers: the servers measured against the hub, each as "label url pid".
peers=("peer $peer_url $peer_pid")
if [ "$PEER_PG" = 1 ]; then
  echo "== Peer on PostgreSQL (same cluster as the hub, database peer, durable commits)"
  psql -h 127.0.0.1 -p "$pgport" -U postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE peer" >/dev/null
  peer_pg_url="http://127.0.0.1:$PEER_PG_PORT"
  (
    export NODE_ENV=production PORT="$PEER_PG_PORT" ISSUER="$peer_pg_url" PEER_UPSTREAM_ISSUER="$mock_url" PEER_ACCESS_TOKEN_ALG="$ACCESS_TOKEN_ALG" \
      PEER_STORE=postgres PEER_DATABASE_URL="postgresql://postgres@127.0.0.1:$pgport/peer"
    spawn "$server_cpu" node bench/peer/server.js
  ) >"$work/peer-pg.log" 2>&1 &
  peer_pg_pid=$!; pids+=("$peer_pg_pid")
  wait_for "$peer_pg_url/.well-known/openid-configuration" || { tail -n 20 "$work/peer-pg.log" >&2; exit 1; }
  peers+=("peer-pg $peer_pg_url $peer_pg_pid")
fi

echo "== Registering the benchmark clients, person and source at the hub (admin API)"
token=$(curl -sf -u "hub-admin:$admin_secret" -d grant_type=client_credentials -d scope=hub.admin "$hub_url/connect/token" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
api() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$hub_url/api/admin/v1/$1" -d "$2"; }
secret_of() { sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p'; }
web_secret=$(api relying-parties '{"clientId":"bench-web","displayName":"Benchmark web","clientType":"confidential","grantTypes":["authorization_code","refresh_token"],
  "redirectUris":["http://localhost:5090/signin-oidc"],"postLogoutRedirectUris":["http://localhost:5090/signout-callback-oidc"],
  "allowedScopes":["openid","profile","email","offline_access"],"consent":"implicit","accessTokenSignedResponseAlg":"'"$ACCESS_TOKEN_ALG"'"}' | secret_of)
# The sso scenario's second service: another sector, so the same person has another sub there.
sso_secret=$(api relying-parties '{"clientId":"bench-sso","displayName":"Benchmark second service","clientType":"confidential","grantTypes":["authorization_code"],
  "redirectUris":["http://127.0.0.1:5091/signin-oidc"],"sectorIdentifier":"sso.bench.example","allowedScopes":["openid","profile","email"],"consent":"implicit","accessTokenSignedResponseAlg":"'"$ACCESS_TOKEN_ALG"'"}' | secret_of)
cc_secret=$(api relying-parties '{"clientId":"bench-cc","displayName":"Benchmark API client","clientType":"confidential","grantTypes":["client_credentials"],
  "redirectUris":[],"allowedScopes":[],"accessTokenSignedResponseAlg":"'"$ACCESS_TOKEN_ALG"'"}' | secret_of)
# data-introspection: a data provider entitled to the identity number, and a service allowed its scope (docs/integration.md,
# "Data providers"); the provider introspects the token issued for it, and each answer is a release on record.
provider_secret=$(api data-providers '{"id":"bench-tax","displayName":"Benchmark tax office","resource":"https://tax.bench.example",
  "scopes":[{"name":"bench_income","description":{"vi":"Thu nhập","en":"Income","fr":"Revenus"}}],"subjectIdentifier":"identity_number"}' | secret_of)
data_secret=$(api relying-parties '{"clientId":"bench-data","displayName":"Benchmark data reader","clientType":"confidential","grantTypes":["authorization_code","refresh_token"],
  "redirectUris":["http://localhost:5090/signin-oidc"],"allowedScopes":["openid","profile","email","offline_access","bench_income"],"consent":"implicit","accessTokenSignedResponseAlg":"'"$ACCESS_TOKEN_ALG"'"}' | secret_of)
api registry/people '{"identityNumber":"079190001234","givenName":"Bench","familyName":"User","birthdate":"1990-01-01","gender":"female",
  "birthplace":"79001","birthcountry":"VN","email":"bench.user@example.vn","username":"bench.user","password":"Bench-Passw0rd!"}' >/dev/null
mfa_accounts="$work/mfa-accounts.txt"
if [[ " $SCENARIOS $NGINX_SCENARIOS " == *" login-mfa "* ]]; then
  # login-mfa's people: same password (same hash cost) as bench.user, no second factor yet. The driver enrols each one's
  # authenticator app on the hub's enrolment page at its first run (untimed) and keeps the secrets in this file.
  echo "   $MFA_PEOPLE registry people for login-mfa"
  : >"$mfa_accounts"
  for i in $(seq 1 "$MFA_PEOPLE"); do
    n=$(printf '%04d' "$i")
    api registry/people "{\"identityNumber\":\"07919010$n\",\"givenName\":\"Bench $n\",\"familyName\":\"Mfa\",\"birthdate\":\"1990-01-01\",
      \"gender\":\"male\",\"username\":\"bench.mfa.$n\",\"password\":\"Bench-Passw0rd!\"}" >/dev/null
    echo "bench.mfa.$n" >>"$mfa_accounts"
  done
fi
api identity-sources "{\"id\":\"mock-bank\",\"displayName\":\"Mock Bank\",\"kind\":\"oidc\",\"authority\":\"$mock_url\",\"clientId\":\"identityhub\",
  \"clientSecret\":\"identityhub-secret\",\"scopes\":[\"openid\",\"profile\",\"email\"],\"acr\":\"eidas2\",\"subjects\":\"individuals\",\"enabled\":true}" >/dev/null

driver() { pin "$driver_cpu" dotnet bench/LoadDriver/bin/Release/net10.0/LoadDriver.dll "$@"; }
hub_args() {
  case "$1" in
    client-credentials) echo "--client-id bench-cc --client-secret $cc_secret" ;;
    federated-login) echo "--client-id bench-web --client-secret $web_secret --idp-hint mock-bank --upstream-pid $mock_pid" ;;
    login-mfa) echo "--client-id bench-web --client-secret $web_secret --totp-accounts $mfa_accounts" ;;
    data-introspection) echo "--client-id bench-data --client-secret $data_secret --resource https://tax.bench.example --data-scope bench_income --provider-id bench-tax --provider-secret $provider_secret" ;;
    sso) echo "--client-id bench-web --client-secret $web_secret --second-client-id bench-sso --second-client-secret $sso_secret" ;;
    logout) echo "--client-id bench-web --client-secret $web_secret --idp-hint mock-bank --upstream-pid $mock_pid" ;;
    *) echo "--client-id bench-web --client-secret $web_secret" ;;
  esac
}
# The peer (node-oidc-provider as configured here) has no second factor: against the hub's login-mfa it runs its
# password login, the same login as in the "login" row, measured interleaved with the hub's login-mfa (bench/README.md).
# Nor has it data providers: against data-introspection it runs its plain introspection, which writes nothing.
peer_scenario() { case "$1" in login-mfa) echo login ;; data-introspection) echo introspection ;; *) echo "$1" ;; esac; }
peer_args() {
  case "$1" in
    client-credentials) echo "--client-id bench-cc --client-secret bench-cc-secret-0123456789abcdefghijklmnop --scope api" ;;
    federated-login|logout) echo "--client-id bench-web --client-secret bench-web-secret-0123456789abcdefghijklmnop --idp-hint mock-bank --upstream-pid $mock_pid" ;;
    *) echo "--client-id bench-web --client-secret bench-web-secret-0123456789abcdefghijklmnop" ;;
  esac
}

if [[ " $SCENARIOS $NGINX_SCENARIOS " == *" login-mfa "* ]]; then
  # Untimed: each person signs in at eidas2 once, meets the enrolment page, and activates an app with the setup key shown.
  echo "== Enrolling the login-mfa people's authenticator apps (through the enrolment page, not measured)"
  # shellcheck disable=SC2046
  driver --server hub --base-url "$hub_url" --scenario login-mfa --concurrency 8 --warmup-seconds 0 --seconds 1 $(hub_args login-mfa) 2>&1 >/dev/null \
    | grep -E "enrolled|cannot start|first errors" || true
fi

echo "== Pre-warming both servers (${PREWARM}s per scenario, not measured)"
for scenario in $SCENARIOS; do
  # shellcheck disable=SC2046
  driver --server hub --base-url "$hub_url" --scenario "$scenario" --concurrency 8 --warmup-seconds 0 --seconds "$PREWARM" $(hub_args "$scenario") >/dev/null 2>&1 || true
  for p in "${peers[@]}"; do
    read -r label url _ <<<"$p"
    # shellcheck disable=SC2046
    driver --server "$label" --base-url "$url" --scenario "$(peer_scenario "$scenario")" --concurrency 8 --warmup-seconds 0 --seconds "$PREWARM" $(peer_args "$scenario") >/dev/null 2>&1 || true
  done
done

psql_postgres() { psql -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"; }
[ "$PG_STATEMENTS" = 1 ] && psql_postgres -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
# statements_reset; ...run...; statements_save LABEL FILE: every statement the server's database ran since the reset
# (set-up and warm-up of the run included), by calls, for the summary's "statements per operation".
statements_reset() {
  [ "$PG_STATEMENTS" = 1 ] && psql_postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
  pg_cpu_start=$(pg_cpu_ticks)
}
# The cluster's CPU in clock ticks: the postmaster, every process it started (backends, WAL writer, checkpointer), and
# those it has reaped (cutime, cstime), so that the difference over a run is all the database did for that server.
pg_cpu_ticks() {
  local stats=("/proc/$pgpid/stat") child
  for child in $(pgrep -P "$pgpid"); do stats+=("/proc/$child/stat"); done
  # The command field has no spaces for PostgreSQL's processes: fields 14 to 17 are utime, stime, cutime, cstime.
  { cat "${stats[@]}" 2>/dev/null || true; } | awk '{ t += $14 + $15 + $16 + $17 } END { print t + 0 }'
}
statements_save() {
  local db; case "$1" in hub) db=hub ;; peer-pg) db=peer ;; *) return 0 ;; esac
  echo "$(( $(pg_cpu_ticks) - pg_cpu_start )) $(getconf CLK_TCK)" >"${2%.tsv}.cpu"
  [ "$PG_STATEMENTS" = 1 ] || return 0
  psql_postgres -F $'\t' -c "SELECT s.calls, regexp_replace(s.query, '\s+', ' ', 'g') FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = '$db' ORDER BY s.calls DESC, s.query" >"$2" || true
}

echo "== Scenarios: $SCENARIOS; concurrency: $LEVELS; ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s each; hub and peer interleaved"
out="$work/runs"; mkdir -p "$out"
for scenario in $SCENARIOS; do
  for level in $LEVELS; do
    statements_reset
    # shellcheck disable=SC2046
    driver --server hub --base-url "$hub_url" --scenario "$scenario" --concurrency "$level" --warmup-seconds "$WARMUP" \
      --seconds "$SECONDS_PER_RUN" --server-pid "$hub_pid" --out "$out/hub-$scenario-$level.json" $(hub_args "$scenario") || true
    statements_save hub "$out/statements-hub-$scenario-$level.tsv"
    for p in "${peers[@]}"; do
      read -r label url pid <<<"$p"
      statements_reset
      # shellcheck disable=SC2046
      driver --server "$label" --base-url "$url" --scenario "$(peer_scenario "$scenario")" --concurrency "$level" --warmup-seconds "$WARMUP" \
        --seconds "$SECONDS_PER_RUN" --server-pid "$pid" --out "$out/$label-$scenario-$level.json" $(peer_args "$scenario") || true
      statements_save "$label" "$out/statements-$label-$scenario-$level.tsv"
    done
  done
done

rate_meta=()
if [ "$RATE_PROBE" = 1 ]; then
  # "p99 < 100 ms at 70 % of the maximum rate": each server paced at 70 % of the highest rate it reached above, so
  # both are equally loaded relative to their own capacity; latency runs from each operation's scheduled start.
  echo "== Rate probe: 70 % of each server's maximum rate, $RATE_WORKERS workers, paced (open loop)"
  max_rate_70() {  # max_rate_70 SERVER SCENARIO: 70 % of the highest ops/s over the levels, or nothing
    python3 - "$out" "$1" "$2" <<'EOF'
import glob, json, os, re, sys
out, server, scenario = sys.argv[1:]
name = re.compile(re.escape(f"{server}-{scenario}-") + r"\d+\.json")
rates = [json.load(open(p, encoding="utf-8"))["opsPerSecond"] for p in glob.glob(os.path.join(out, "*.json")) if name.fullmatch(os.path.basename(p))]
if rates and max(rates) > 0:
    print(f"{0.7 * max(rates):.1f}")
EOF
  }
  for scenario in $RATE_SCENARIOS; do
    [[ " $SCENARIOS " == *" $scenario "* ]] || { echo "   $scenario: not among the scenarios run, skipped"; continue; }
    for p in "hub $hub_url $hub_pid" "${peers[@]}"; do
      read -r server url pid <<<"$p"
      rate=$(max_rate_70 "$server" "$scenario")
      if [ -z "$rate" ]; then echo "   $server $scenario: no maximum rate measured, skipped"; continue; fi
      if [ "$server" = hub ]; then
        args=$(hub_args "$scenario") run_scenario=$scenario
      else
        args=$(peer_args "$scenario") run_scenario=$(peer_scenario "$scenario")
      fi
      # shellcheck disable=SC2086
      driver --server "$server" --base-url "$url" --scenario "$run_scenario" --concurrency "$RATE_WORKERS" --rate "$rate" \
        --warmup-seconds "$WARMUP" --seconds "$SECONDS_PER_RUN" --server-pid "$pid" --out "$out/rate-$server-$scenario.json" $args || true
    done
  done
  rate_meta=(--meta "rate probe=each server paced at 70 % of its own highest ops/s over the levels (open loop), $RATE_WORKERS workers, ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s measured")
fi

nginx_meta=()
if [ "$NGINX_PROBE" = 1 ]; then
  # Scale probe 2: two hub instances behind nginx, round robin, on one database. Nothing of a login journey may live
  # in one process's memory: the requests of one login land on both instances in turn.
  find_nginx() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }
  nginx_bin=$(find_nginx)
  if [ -z "$nginx_bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    for package in nginx-light nginx; do
      candidate=$(apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: //p' || true)
      [ -n "$candidate" ] && [ "$candidate" != "(none)" ] || continue
      echo "== Installing $package $candidate (apt-get; its own service is not used)"
      if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >"$work/apt.log" 2>&1; then break; fi
      tail -n 3 "$work/apt.log" >&2
    done
    nginx_bin=$(find_nginx)
  fi
  x2_busy=""
  for port in "$NGINX_PORT" "$HUB2_PORT" "$HUB3_PORT"; do if port_in_use "$port"; then x2_busy+=" $port"; fi; done
  if [ -z "$nginx_bin" ]; then
    echo "== Scale probe 2 skipped: nginx is not installed and could not be installed (as root: apt-get install nginx-light)"
  elif [ -n "$x2_busy" ]; then
    echo "== Scale probe 2 skipped: port(s)$x2_busy on 127.0.0.1 already in use (set NGINX_PORT, HUB2_PORT, HUB3_PORT)"
  else
    # The probe has its own pair of instances rather than the first hub plus a second one: a hub's issuer is the URL
    # its clients use (discovery, redirects, the iss of tokens), and the first hub's is its own address, which the
    # scenarios above need. Both instances of the pair have the nginx URL as issuer. The hub reads no forwarded headers
    # (its issuer is configured, and it only asks Request.IsHttps, false on both legs), so nginx passes the client's
    # Host and nothing more is needed. The clients registered through the first hub are in the shared database, as
    # are sessions, journeys, tokens, and the signing and data-protection keys.
    echo "== Scale probe 2: two hub instances (ports $HUB2_PORT, $HUB3_PORT) behind nginx ($NGINX_PORT), round robin"
    x2_instances=(); x2_ready=1
    for port in "$HUB2_PORT" "$HUB3_PORT"; do
      start_hub "hub-$port" "http://127.0.0.1:$port" "$nginx_url/"
      x2_instances+=($!); x2_pids+=($!)
      wait_for "http://127.0.0.1:$port/health/ready" || { x2_ready=0; break; }
    done
    nginx_dir="$work/nginx"; mkdir -p "$nginx_dir"
    nginx_build=$("$nginx_bin" -V 2>&1)
    # Temporary files in the run's directory (none in practice: request bodies and responses stay in memory).
    temp_paths="client_body_temp_path $nginx_dir/client_body; proxy_temp_path $nginx_dir/proxy;"
    for module in fastcgi uwsgi scgi; do
      [[ $nginx_build == *"--without-http_${module}_module"* ]] || temp_paths+=" ${module}_temp_path $nginx_dir/$module;"
    done
    cat >"$nginx_dir/nginx.conf" <<EOF
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  $temp_paths
  client_body_buffer_size 64k;
  upstream hub_x2 {
    server 127.0.0.1:$HUB2_PORT;
    server 127.0.0.1:$HUB3_PORT;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://hub_x2;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_max_temp_file_size 0;
    }
  }
}
EOF
    if [ "$x2_ready" = 1 ]; then
      ( spawn "$server_cpu" "$nginx_bin" -e "$nginx_dir/error.log" -p "$nginx_dir/" -c "$nginx_dir/nginx.conf" -g 'daemon off;' ) >"$work/nginx.log" 2>&1 &
      x2_pids+=($!)
      wait_for "$nginx_url/health/ready" || x2_ready=0
    fi
    if [ "$x2_ready" = 1 ]; then
      echo "   pre-warming through nginx (${X2_PREWARM}s per scenario, not measured)"
      for scenario in $NGINX_SCENARIOS; do
        # shellcheck disable=SC2046
        driver --server hub-x2 --base-url "$nginx_url" --scenario "$scenario" --concurrency 8 --warmup-seconds 0 --seconds "$X2_PREWARM" \
          $(hub_args "$scenario") >/dev/null 2>&1 || true
      done
      level=${LEVELS%% *}
      for scenario in $NGINX_SCENARIOS; do
        # shellcheck disable=SC2046
        driver --server hub-x2 --base-url "$nginx_url" --scenario "$scenario" --concurrency "$level" --warmup-seconds "$WARMUP" \
          --seconds "$SECONDS_PER_RUN" --server-pid "${x2_instances[0]},${x2_instances[1]}" --out "$out/x2-hub-$scenario-$level.json" \
          $(hub_args "$scenario") || true
      done
      nginx_meta=(--meta "nginx probe=two hub instances (one database, same keys and settings, issuer $nginx_url/) behind nginx $("$nginx_bin" -v 2>&1 | sed 's/^.*nginx\///'): 1 worker process, round robin, upstream keep-alive 64, all on CPU $server_cpu; CPU = both instances added up (nginx's not counted), RSS = the larger instance's; ${X2_PREWARM}s pre-warm per scenario")
    else
      echo "   Scale probe 2 skipped: an instance or nginx did not start:" >&2
      tail -n 5 "$work"/hub-*.log "$nginx_dir/error.log" "$work/nginx.log" >&2 2>/dev/null || true
    fi
    for pid in "${x2_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${x2_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    x2_pids=()
  fi
fi

scale_meta=()
if [ "${SCALE_PROBE:-1}" = 1 ]; then
  # 200,000 people each with an active session, as at the portal's peak: login latency and the hub's memory must not
  # grow with them (sessions live in the database, not in the process).
  echo "== Scale probe: 200,000 active sessions in the database"
  level=${LEVELS%% *}
  # The baseline right before the sessions go in, so that the pair is measured under the same conditions.
  # shellcheck disable=SC2046
  driver --server hub --base-url "$hub_url" --scenario login --concurrency "$level" --warmup-seconds "$WARMUP" \
    --seconds "$SECONDS_PER_RUN" --server-pid "$hub_pid" --out "$out/scale-before-hub-login-$level.json" $(hub_args login) || true
  psql_hub() { psql -h 127.0.0.1 -p "$pgport" -U postgres -d hub -v ON_ERROR_STOP=1 -Atq "$@"; }
  psql_hub -c "INSERT INTO \"People\" (\"Id\", \"GivenName\", \"FamilyName\", \"Birthdate\", \"Gender\", \"EmailVerified\", \"PhoneNumberVerified\", \"CreatedAt\")
    SELECT md5('probe' || g)::uuid, 'Probe', 'Person ' || g, DATE '1950-01-01' + (g % 20000), CASE WHEN g % 2 = 0 THEN 'Female' ELSE 'Male' END, false, false, now()
    FROM generate_series(1, 200000) g"
  psql_hub -c "INSERT INTO \"HubSessions\" (\"Id\", \"PersonId\", \"SourceId\", \"Acr\", \"Amr\", \"AuthenticatedAt\", \"CreatedAt\", \"ExpiresAt\")
    SELECT md5('session' || g), md5('probe' || g)::uuid, 'registry', 'eidas1', 'pwd', now(), now(), now() + interval '1 hour'
    FROM generate_series(1, 200000) g"
  psql_hub -c "VACUUM ANALYZE \"HubSessions\"" -c "VACUUM ANALYZE \"People\""
  sessions=$(psql_hub -c "SELECT count(*) FROM \"HubSessions\" WHERE \"EndedAt\" IS NULL")
  bytes=$(psql_hub -c "SELECT pg_total_relation_size('\"HubSessions\"')")
  scale_meta=(--meta "scale probe=$sessions active sessions in HubSessions: $((bytes / sessions)) bytes per session in PostgreSQL (table and indexes)")
  # shellcheck disable=SC2046
  driver --server hub --base-url "$hub_url" --scenario login --concurrency "$level" --warmup-seconds "$WARMUP" \
    --seconds "$SECONDS_PER_RUN" --server-pid "$hub_pid" --out "$out/scale-hub-login-$level.json" $(hub_args login) || true
fi

audit_meta=()
if [ "${AUDIT_VERIFY:-1}" = 1 ]; then
  # The audit trail the run wrote, checked as an operator would (docs/integration.md, "Audit"): intact after a graceful
  # stop (which seals the last events), and broken, naming the event, after a one-byte change made with SQL.
  echo "== Audit chain: audit verify after the run, then after a one-byte change"
  kill -TERM "$hub_pid" 2>/dev/null || true
  wait "$hub_pid" 2>/dev/null || true
  audit_verify() {
    ASPNETCORE_ENVIRONMENT=Production Hub__Database__Provider=Postgres Hub__Subjects__PairwiseKey="$pairwise_key" \
      ConnectionStrings__Hub="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=hub" \
      dotnet "$HUB_DIR/src/IdentityHub/bin/Release/net10.0/IdentityHub.dll" audit verify 2>/dev/null
  }
  psql_audit() { psql -h 127.0.0.1 -p "$pgport" -U postgres -d hub -v ON_ERROR_STOP=1 -Atq "$@"; }
  intact=$(audit_verify) && intact_rc=0 || intact_rc=$?
  victim=$(psql_audit -c "SELECT \"Id\" FROM \"AuditEvents\" WHERE \"Sequence\" IS NOT NULL ORDER BY random() LIMIT 1" 2>/dev/null || true)
  broken="(no event to change)"; broken_rc=-
  if [ -n "$victim" ]; then
    # One bit of the first letter of the event's type flipped (login.succeeded -> mogin.succeeded), the triggers off.
    psql_audit -c "BEGIN; ALTER TABLE \"AuditEvents\" DISABLE TRIGGER USER;
      UPDATE \"AuditEvents\" SET \"Type\" = chr(ascii(\"Type\") # 1) || substr(\"Type\", 2) WHERE \"Id\" = '$victim';
      ALTER TABLE \"AuditEvents\" ENABLE TRIGGER USER; COMMIT;" >/dev/null
    broken=$(audit_verify) && broken_rc=0 || broken_rc=$?
  fi
  echo "   $intact (exit $intact_rc); after changing event $victim: $broken (exit $broken_rc)"
  audit_meta=(--meta "audit verify=after the run: '$intact' (exit $intact_rc); after a one-byte change to event $victim: '$broken' (exit $broken_rc)")
fi

peer_pg_meta=()
[ "$PEER_PG" = 1 ] && peer_pg_meta=(--meta "peer-pg=the same peer storing in the hub's PostgreSQL cluster (database peer; bench/peer/pg_adapter.js: one table of JSON payloads keyed by model and id, pg $(node -p "require('./bench/peer/node_modules/pg/package.json').version" 2>/dev/null), every write committed with the cluster's synchronous_commit=$(psql -h 127.0.0.1 -p "$pgport" -U postgres -Atqc 'SHOW synchronous_commit' 2>/dev/null || echo '?'))")
python3 bench/summarize.py "$out" "$results/$stamp" "${rate_meta[@]}" "${nginx_meta[@]}" "${scale_meta[@]}" "${audit_meta[@]}" \
  --meta "machine=$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" \
  --meta "pinning=servers and PostgreSQL on CPU $server_cpu, driver on CPU $driver_cpu (taskset)" \
  --meta "hub=commit $hub_commit, Release, Production settings, PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), HTTP on loopback" \
  --meta "peer=node-oidc-provider $(node -p "require('./bench/peer/node_modules/oidc-provider/package.json').version" 2>/dev/null), in-memory store, node $(node --version)" \
  "${peer_pg_meta[@]}" \
  --meta "signatures=access tokens $ACCESS_TOKEN_ALG at the hub (every bench service registered with accessTokenSignedResponseAlg $ACCESS_TOKEN_ALG) and for the peers' JWT access tokens (bench-cc; bench-web's are opaque there); ID tokens RS256 on every server" \
  --meta "password hash=PBKDF2-HMAC-SHA512, 100,000 iterations on both (ASP.NET Core Identity v3 format)" \
  --meta "runs=${PREWARM}s pre-warm per scenario, then ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s measured per scenario, level and server, hub and peer interleaved"
echo "Results: $results/$stamp.md"
