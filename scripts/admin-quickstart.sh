#!/usr/bin/env bash
# Registers a service and a citizen through the admin API, then logs that citizen in to that service,
# with curl alone (plus sed and base64 to read the answers). Start the hub first, for example:
#   Hub__Bootstrap__AdminClientSecret=change-me dotnet run --project src/IdentityHub
# then: HUB_ADMIN_SECRET=change-me scripts/admin-quickstart.sh
set -euo pipefail

hub=${HUB_URL:-http://localhost:5080}
admin_secret=${HUB_ADMIN_SECRET:?set HUB_ADMIN_SECRET to the value of Hub__Bootstrap__AdminClientSecret}
suffix=$(date +%s)
client_id="quickstart-$suffix"
redirect_uri="http://localhost:8765/callback"
username="citizen.$suffix"
password="Quickstart-$suffix-passphrase"
identity_number=$(printf '0790%08d' "$((suffix % 100000000))")
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT

json_field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }
location() { sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p'; }

echo "1. An admin token (client hub-admin, scope hub.admin)"
token=$(curl -sf -u "hub-admin:$admin_secret" -d grant_type=client_credentials -d scope=hub.admin "$hub/connect/token" | json_field access_token)

echo "2. Register the service $client_id"
client_secret=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$hub/api/admin/v1/relying-parties" -d @- <<JSON | json_field clientSecret
{"clientId":"$client_id","displayName":"Quickstart service","clientType":"confidential","tokenEndpointAuthMethod":"client_secret_basic",
 "redirectUris":["$redirect_uri"],"postLogoutRedirectUris":[],"allowedScopes":["openid","profile","birth"],"consent":"implicit"}
JSON
)

echo "3. Register the citizen $username"
curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$hub/api/admin/v1/registry/people" -d @- <<JSON
{"identityNumber":"$identity_number","givenName":"Lan","familyName":"Phạm Thị","birthdate":"1994-07-21","gender":"female",
 "birthplace":"48001","birthcountry":"VN","username":"$username","password":"$password"}
JSON

echo "4. Log in as $username (PKCE example values of RFC 7636, appendix B)"
verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
authorize="$hub/connect/authorize?client_id=$client_id&redirect_uri=$(printf %s "$redirect_uri" | sed 's/:/%3A/g; s#/#%2F#g')&response_type=code&scope=openid%20profile%20birth&state=s-$suffix&nonce=n-$suffix&code_challenge=$challenge&code_challenge_method=S256&ui_locales=en"
sign_in=$(curl -sf -D - -o /dev/null -c "$jar" -b "$jar" "$authorize" | location)
page=$(curl -sf -c "$jar" -b "$jar" "$hub$sign_in")
antiforgery=$(printf %s "$page" | sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p')
journey=$(printf %s "$page" | sed -n 's/.*name="Journey" value="\([^"]*\)".*/\1/p; s/.*value="\([^"]*\)"[^>]*name="Journey".*/\1/p' | head -n1)
resume=$(curl -sf -D - -o /dev/null -c "$jar" -b "$jar" "$hub$sign_in" \
  --data-urlencode "Journey=$journey" --data-urlencode "Input.Username=$username" --data-urlencode "Input.Password=$password" \
  --data-urlencode "__RequestVerificationToken=$antiforgery" | location)
callback=$(curl -sf -D - -o /dev/null -c "$jar" -b "$jar" "$hub$resume" | location)
code=$(printf %s "$callback" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
[ -n "$code" ] || { echo "No code in $callback" >&2; exit 1; }

echo "5. Redeem the code at the token endpoint"
id_token=$(curl -sf -u "$client_id:$client_secret" -d grant_type=authorization_code -d "code=$code" \
  --data-urlencode "redirect_uri=$redirect_uri" -d "code_verifier=$verifier" "$hub/connect/token" | json_field id_token)
payload=$(printf %s "$id_token" | cut -d. -f2 | tr '_-' '/+')
while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
echo "ID token claims:"
printf %s "$payload" | base64 -d
echo
