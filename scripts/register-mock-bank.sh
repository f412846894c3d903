#!/usr/bin/env bash
# Registers the mock upstream provider (tests/MockIdentityProvider) as identity source "mock-bank" through the
# admin API, so that the chooser offers it next to the national registry. Start the three processes first:
#   Hub__Bootstrap__AdminClientSecret=change-me dotnet run --project src/IdentityHub
#   dotnet run --project src/SampleRelyingParty
#   dotnet run --project tests/MockIdentityProvider
# then: HUB_ADMIN_SECRET=change-me scripts/register-mock-bank.sh
set -euo pipefail

hub=${HUB_URL:-http://localhost:5080}
mock=${MOCK_URL:-http://localhost:5100}
admin_secret=${HUB_ADMIN_SECRET:?set HUB_ADMIN_SECRET to the value of Hub__Bootstrap__AdminClientSecret}

token=$(curl -sf -u "hub-admin:$admin_secret" -d grant_type=client_credentials -d scope=hub.admin "$hub/connect/token" \
  | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
status=$(curl -s -o /dev/stderr -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  "$hub/api/admin/v1/identity-sources" -d @- <<JSON
{"id":"mock-bank","displayName":"Mock Bank","kind":"oidc","authority":"$mock","clientId":"identityhub",
 "clientSecret":"identityhub-secret","scopes":["openid","profile","email"],"acr":"eidas2","subjects":"individuals","enabled":true}
JSON
)
echo
case "$status" in
  201) echo "Registered mock-bank ($mock) at $hub." ;;
  409) echo "mock-bank is already registered at $hub." ;;
  *) echo "The hub answered $status." >&2; exit 1 ;;
esac
