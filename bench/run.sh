#!/usr/bin/env bash
# Measures the hub and node-oidc-provider side by side on this machine (issue 6; see bench/README.md).
# Starts a throwaway PostgreSQL cluster, the hub (Release, Production settings, PostgreSQL, HTTP on loopback),
# the mock upstream provider and the peer; runs every scenario against both, interleaved; writes
# bench/results/<date>.md and .json. Loopback only; every run is bounded in time and requests.
#   bench/run.sh                      # the full run (about 10 minutes on 2 cores)
#   LEVELS="8" SECONDS_PER_RUN=5 bench/run.sh   # a quick one
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

LEVELS=${LEVELS:-"8 32"}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
WARMUP=${WARMUP:-5}
SCENARIOS=${SCENARIOS:-"discovery jwks client-credentials refresh login federated-login introspection userinfo"}
# Seconds per scenario, once, before anything is measured (JIT, pools, caches): at least 20 s in all, since a fresh
# .NET process needs that much load to run its optimised code (PERFORMANCE.md); short runs otherwise measure the JIT.
scenario_count=$(wc -w <<<"$SCENARIOS")
PREWARM=${PREWARM:-$(( (20 + scenario_count - 1) / scenario_count > 2 ? (20 + scenario_count - 1) / scenario_count : 2 ))}
HUB_DIR=${HUB_DIR:-$root}  # another checkout of the hub, to measure a before/after pair with the same driver and peer
HUB_PORT=${HUB_PORT:-5580}
PEER_PORT=${PEER_PORT:-5590}
MOCK_PORT=${MOCK_PORT:-5595}
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
work=$(mktemp -d /tmp/identityhub-bench.XXXXXX)
results="$root/bench/results"
mkdir -p "$results"
pids=()

# Two cores: servers (and PostgreSQL) on core 1, the load driver on core 0.
server_cpu=${SERVER_CPU:-1}
driver_cpu=${DRIVER_CPU:-0}
can_pin() { command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; }
pin() { if can_pin; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
# For servers started with '&': exec keeps one process, so $! is the server's own pid (its CPU is measured).
spawn() { if can_pin; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${pgdata:-}" ]; then run_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { for _ in $(seq 1 120); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "Timed out waiting for $1" >&2; return 1; }

echo "== Building (Release)"
for project in "$HUB_DIR/src/IdentityHub" tests/MockIdentityProvider bench/LoadDriver; do dotnet build -c Release -v quiet -nologo "$project" >/dev/null; done
hub_commit=$(git -C "$HUB_DIR" rev-parse --short HEAD)
if [ ! -d bench/peer/node_modules ]; then (cd bench/peer && npm ci --omit=dev --no-audit --no-fund >/dev/null); fi

echo "== PostgreSQL (throwaway cluster)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
pgdata="$work/pg"
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$pgdata"; [ "$(id -u)" = 0 ] && chown postgres "$work" "$pgdata"
run_pg "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --no-sync --locale=C >/dev/null
run_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg.log" -w -o "-p $pgport -k $work -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
pgpid=$(head -n1 "$pgdata/postmaster.pid")
command -v taskset >/dev/null && taskset -a -cp "$server_cpu" "$pgpid" >/dev/null 2>&1 || true

echo "== Hub (Release, Production, PostgreSQL)"
hub_url="http://127.0.0.1:$HUB_PORT"
admin_secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
(
  export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$hub_url" Hub__Issuer="$hub_url/" Hub__RequireHttps=false \
    Hub__Database__Provider=Postgres ConnectionStrings__Hub="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=hub;Maximum Pool Size=200" \
    Hub__Subjects__PairwiseKey="$(head -c 32 /dev/urandom | base64)" Hub__Bootstrap__AdminClientSecret="$admin_secret" \
    Logging__LogLevel__Default=Warning
  spawn "$server_cpu" dotnet "$HUB_DIR/src/IdentityHub/bin/Release/net10.0/IdentityHub.dll"
) >"$work/hub.log" 2>&1 &
hub_pid=$!; pids+=("$hub_pid")
wait_for "$hub_url/health/ready"

echo "== Mock upstream provider"
mock_url="http://127.0.0.1:$MOCK_PORT"
(
  export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$mock_url" Mock__Issuer="$mock_url" \
    Mock__RedirectUris__0="$hub_url/signin/mock-bank" Logging__LogLevel__Default=Warning
  spawn "$server_cpu" dotnet tests/MockIdentityProvider/bin/Release/net10.0/MockIdentityProvider.dll
) >"$work/mock.log" 2>&1 &
mock_pid=$!; pids+=("$mock_pid")
wait_for "$mock_url/.well-known/openid-configuration"

echo "== Peer (node-oidc-provider)"
peer_url="http://127.0.0.1:$PEER_PORT"
(
  export NODE_ENV=production PORT="$PEER_PORT" ISSUER="$peer_url"
  spawn "$server_cpu" node bench/peer/server.js
) >"$work/peer.log" 2>&1 &
peer_pid=$!; pids+=("$peer_pid")
wait_for "$peer_url/.well-known/openid-configuration"

echo "== Registering the benchmark clients, person and source at the hub (admin API)"
token=$(curl -sf -u "hub-admin:$admin_secret" -d grant_type=client_credentials -d scope=hub.admin "$hub_url/connect/token" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
api() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$hub_url/api/admin/v1/$1" -d "$2"; }
secret_of() { sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p'; }
web_secret=$(api relying-parties '{"clientId":"bench-web","displayName":"Benchmark web","clientType":"confidential","grantTypes":["authorization_code","refresh_token"],
  "redirectUris":["http://localhost:5090/signin-oidc"],"allowedScopes":["openid","profile","email","offline_access"],"consent":"implicit"}' | secret_of)
cc_secret=$(api relying-parties '{"clientId":"bench-cc","displayName":"Benchmark API client","clientType":"confidential","grantTypes":["client_credentials"],
  "redirectUris":[],"allowedScopes":[]}' | secret_of)
api registry/people '{"identityNumber":"079190001234","givenName":"Bench","familyName":"User","birthdate":"1990-01-01","gender":"female",
  "birthplace":"79001","birthcountry":"VN","email":"bench.user@example.vn","username":"bench.user","password":"Bench-Passw0rd!"}' >/dev/null
api identity-sources "{\"id\":\"mock-bank\",\"displayName\":\"Mock Bank\",\"kind\":\"oidc\",\"authority\":\"$mock_url\",\"clientId\":\"identityhub\",
  \"clientSecret\":\"identityhub-secret\",\"scopes\":[\"openid\",\"profile\",\"email\"],\"acr\":\"eidas2\",\"subjects\":\"individuals\",\"enabled\":true}" >/dev/null

driver() { pin "$driver_cpu" dotnet bench/LoadDriver/bin/Release/net10.0/LoadDriver.dll "$@"; }
hub_args() {
  case "$1" in
    client-credentials) echo "--client-id bench-cc --client-secret $cc_secret" ;;
    federated-login) echo "--client-id bench-web --client-secret $web_secret --idp-hint mock-bank --upstream-pid $mock_pid" ;;
    *) echo "--client-id bench-web --client-secret $web_secret" ;;
  esac
}
peer_args() {
  case "$1" in
    client-credentials) echo "--client-id bench-cc --client-secret bench-cc-secret-0123456789abcdefghijklmnop --scope api" ;;
    *) echo "--client-id bench-web --client-secret bench-web-secret-0123456789abcdefghijklmnop" ;;
  esac
}

echo "== Pre-warming both servers (${PREWARM}s per scenario, not measured)"
for scenario in $SCENARIOS; do
  # shellcheck disable=SC2046
  driver --server hub --base-url "$hub_url" --scenario "$scenario" --concurrency 8 --warmup-seconds 0 --seconds "$PREWARM" $(hub_args "$scenario") >/dev/null 2>&1 || true
  [ "$scenario" = federated-login ] && continue
  # shellcheck disable=SC2046
  driver --server peer --base-url "$peer_url" --scenario "$scenario" --concurrency 8 --warmup-seconds 0 --seconds "$PREWARM" $(peer_args "$scenario") >/dev/null 2>&1 || true
done

echo "== Scenarios: $SCENARIOS; concurrency: $LEVELS; ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s each; hub and peer interleaved"
out="$work/runs"; mkdir -p "$out"
for scenario in $SCENARIOS; do
  for level in $LEVELS; do
    # shellcheck disable=SC2046
    driver --server hub --base-url "$hub_url" --scenario "$scenario" --concurrency "$level" --warmup-seconds "$WARMUP" \
      --seconds "$SECONDS_PER_RUN" --server-pid "$hub_pid" --out "$out/hub-$scenario-$level.json" $(hub_args "$scenario") || true
    [ "$scenario" = federated-login ] && continue
    # shellcheck disable=SC2046
    driver --server peer --base-url "$peer_url" --scenario "$scenario" --concurrency "$level" --warmup-seconds "$WARMUP" \
      --seconds "$SECONDS_PER_RUN" --server-pid "$peer_pid" --out "$out/peer-$scenario-$level.json" $(peer_args "$scenario") || true
  done
done

scale_meta=()
if [ "${SCALE_PROBE:-1}" = 1 ]; then
  # 200,000 people each with an active session, as at the portal's peak: login latency and the hub's memory must not
  # grow with them (sessions live in the database, not in the process).
  echo "== Scale probe: 200,000 active sessions in the database"
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
  level=${LEVELS%% *}
  # shellcheck disable=SC2046
  driver --server hub --base-url "$hub_url" --scenario login --concurrency "$level" --warmup-seconds "$WARMUP" \
    --seconds "$SECONDS_PER_RUN" --server-pid "$hub_pid" --out "$out/scale-hub-login-$level.json" $(hub_args login) || true
fi

python3 bench/summarize.py "$out" "$results/$stamp" "${scale_meta[@]}" \
  --meta "machine=$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" \
  --meta "pinning=servers and PostgreSQL on CPU $server_cpu, driver on CPU $driver_cpu (taskset)" \
  --meta "hub=commit $hub_commit, Release, Production settings, PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), HTTP on loopback" \
  --meta "peer=node-oidc-provider $(node -p "require('./bench/peer/node_modules/oidc-provider/package.json').version" 2>/dev/null), in-memory store, node $(node --version)" \
  --meta "password hash=PBKDF2-HMAC-SHA512, 100,000 iterations on both (ASP.NET Core Identity v3 format)" \
  --meta "runs=${PREWARM}s pre-warm per scenario, then ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s measured per scenario, level and server, hub and peer interleaved"
echo "Results: $results/$stamp.md"
