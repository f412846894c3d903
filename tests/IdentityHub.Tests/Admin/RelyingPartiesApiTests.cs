using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Admin;

/// <summary>The relying-party endpoints of the admin API, on each database provider.</summary>
public abstract class RelyingPartiesApiTests(HubFactory hub)
{
    private const string Base = "/api/admin/v1/relying-parties";

    [Fact]
    public async Task Create_ConfidentialService_ReturnsItsSecretOnceAndItCanLogInRightAway()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        using var created = await http.PostAsJsonAsync(Base, Service(clientId));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"{Base}/{clientId}", created.Headers.Location!.OriginalString);
        var body = await created.Content.ReadFromJsonAsync<JsonObject>();
        var secret = body!["clientSecret"]!.GetValue<string>();
        Assert.Matches("^[A-Za-z0-9_-]{43,}$", secret);
        Assert.Equal("tax.gov.vn", body["sectorIdentifier"]!.GetValue<string>());
        Assert.Equal("client_secret_basic", body["tokenEndpointAuthMethod"]!.GetValue<string>());

        // Stored as a digest only.
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var stored = await scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>()
                .Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
                .Where(a => a.ClientId == clientId).Select(a => a.ClientSecret).SingleAsync();
            Assert.StartsWith("sha256:", stored, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stored!, StringComparison.Ordinal);
        }

        // Read back: everything but the secret.
        var read = await http.GetFromJsonAsync<JsonObject>($"{Base}/{clientId}");
        Assert.False(read!.ContainsKey("clientSecret"));
        Assert.DoesNotContain(secret, await http.GetStringAsync(Base), StringComparison.Ordinal);

        // A person logs in to the new service at once: no restart, no cache to wait for.
        var client = new OidcClient(clientId, secret, $"https://tax.gov.vn/{clientId}/callback");
        using var browser = hub.CreateBrowser();
        using var api = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(api, (await client.LoginAsync(browser, url: client.AuthorizeUrl("openid profile")))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        Assert.Equal("An", tokens.IdTokenJwt.GetClaim("given_name").Value);
    }

    [Fact]
    public async Task Replace_ChangesTheRegistrationAndKeepsTheSecret()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        var secret = await CreateAsync(http, Service(clientId, grantTypes: ["client_credentials"], redirectUris: []));
        var replacement = Service(clientId, grantTypes: ["client_credentials"], redirectUris: []);
        replacement["displayName"] = "Renamed service";
        replacement["minimumAcr"] = "eidas2";
        using var replaced = await http.PutAsJsonAsync($"{Base}/{clientId}", replacement);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var body = await replaced.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Renamed service", body!["displayName"]!.GetValue<string>());
        Assert.Equal("eidas2", body["minimumAcr"]!.GetValue<string>());
        Assert.False(body.ContainsKey("clientSecret"));
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(clientId, secret)).Status);
    }

    [Fact]
    public async Task SigningAlgorithms_AreRs256ByDefaultAndEs256WhenChosen_CheckedAgainstTheJwks()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var api = hub.CreateApiClient();
        var jwks = new JsonWebKeySet(await api.GetStringAsync("/.well-known/jwks"));

        var plain = NewId();
        var plainSecret = await CreateAsync(http, Service(plain, grantTypes: ["client_credentials"], redirectUris: []));
        var plainRead = (await http.GetFromJsonAsync<JsonObject>($"{Base}/{plain}"))!;
        Assert.Equal("RS256", plainRead["accessTokenSignedResponseAlg"]!.GetValue<string>());
        Assert.Equal("RS256", plainRead["idTokenSignedResponseAlg"]!.GetValue<string>());
        var discovery = JsonDocument.Parse(await api.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        var advertised = discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains("RS256", advertised);
        Assert.Contains("ES256", advertised);
        await AssertSignedWithAsync(await ClientCredentialsAsync(plain, plainSecret), "RS256", jwks);

        var fast = NewId();
        var request = Service(fast);
        request["accessTokenSignedResponseAlg"] = "ES256";
        var fastSecret = await CreateAsync(http, request);
        var fastRead = (await http.GetFromJsonAsync<JsonObject>($"{Base}/{fast}"))!;
        Assert.Equal("ES256", fastRead["accessTokenSignedResponseAlg"]!.GetValue<string>());
        Assert.Equal("RS256", fastRead["idTokenSignedResponseAlg"]!.GetValue<string>());

        // The code flow: the access token is ES256, the ID token stays RS256 (not chosen), the refresh token still works,
        // and userinfo takes the ES256 access token.
        var client = new OidcClient(fast, fastSecret, $"https://tax.gov.vn/{fast}/callback");
        using var browser = hub.CreateBrowser();
        var tokens = await client.RedeemAsync(api, (await client.LoginAsync(browser, url: client.AuthorizeUrl("openid profile offline_access")))["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        await AssertSignedWithAsync(tokens, "ES256", jwks);
        Assert.Equal("RS256", tokens.IdTokenJwt.Alg);
        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo"))
        {
            userinfo.Headers.Authorization = new("Bearer", tokens.AccessToken);
            using var answer = await api.SendAsync(userinfo);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        var refreshed = await client.RefreshAsync(api, tokens.Get("refresh_token")!);
        await AssertSignedWithAsync(refreshed, "ES256", jwks);

        Assert.Equal("RS256", refreshed.IdTokenJwt.Alg);

        // ID tokens ES256 too, access tokens back to the default: the next refresh gives exactly that.
        var replacement = Service(fast);
        replacement["accessTokenSignedResponseAlg"] = "RS256";
        replacement["idTokenSignedResponseAlg"] = "ES256";
        using (var replaced = await http.PutAsJsonAsync($"{Base}/{fast}", replacement))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }
        var swapped = await client.RefreshAsync(api, refreshed.Get("refresh_token")!);
        await AssertSignedWithAsync(swapped, "RS256", jwks);
        Assert.Equal("ES256", swapped.IdTokenJwt.Alg);
        var idToken = await new JsonWebTokenHandler().ValidateTokenAsync(swapped.Get("id_token"), new TokenValidationParameters
        {
            ValidIssuer = HubFactory.Issuer,
            ValidAudience = fast,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = ["ES256"],
        });
        Assert.True(idToken.IsValid, idToken.Exception?.Message);

        foreach (var field in new[] { "accessTokenSignedResponseAlg", "idTokenSignedResponseAlg" })
        {
            foreach (var wrong in new[] { "HS256", "none", "es256", "" })
            {
                var bad = Service(NewId());
                bad[field] = wrong;
                await AssertInvalidAsync(http, bad, field);
            }
        }
    }

    private static async Task AssertSignedWithAsync(TokenResponse tokens, string algorithm, JsonWebKeySet jwks)
    {
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var token = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(algorithm, token.Alg);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken, new TokenValidationParameters
        {
            ValidIssuer = HubFactory.Issuer,
            ValidateAudience = false,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [algorithm],
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task RotateSecret_ReturnsANewSecretAndTheOldOneStopsWorking()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        var old = await CreateAsync(http, Service(clientId, grantTypes: ["client_credentials"], redirectUris: []));
        using var rotated = await http.PostAsync($"{Base}/{clientId}/secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var fresh = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!["clientSecret"]!.GetValue<string>();
        Assert.NotEqual(old, fresh);
        Assert.Equal("invalid_client", (await ClientCredentialsAsync(clientId, old)).Error);
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(clientId, fresh)).Status);
    }

    [Fact]
    public async Task Delete_RemovesTheServiceAndItsCredentials()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        var secret = await CreateAsync(http, Service(clientId, grantTypes: ["client_credentials"], redirectUris: []));
        using (var deleted = await http.DeleteAsync($"{Base}/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{Base}/{clientId}")).StatusCode);
        Assert.Equal("invalid_client", (await ClientCredentialsAsync(clientId, secret)).Error);
    }

    [Fact]
    public async Task PrivateKeyJwtClient_GetsNoSecretAndAuthenticatesWithASignedAssertion()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "k1" };
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" });
        var request = Service(clientId, grantTypes: ["client_credentials"], redirectUris: []);
        request["tokenEndpointAuthMethod"] = "private_key_jwt";
        request["jwks"] = JsonNode.Parse($$"""{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"{{publicJwk.N}}","e":"{{publicJwk.E}}"}]}""");
        using var created = await http.PostAsJsonAsync(Base, request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False((await created.Content.ReadFromJsonAsync<JsonObject>())!.ContainsKey("clientSecret"));

        var assertion = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = HubFactory.Issuer,
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString() },
            Expires = DateTime.UtcNow.AddMinutes(1),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            TokenType = "client-authentication+jwt",
        });
        using var api = hub.CreateApiClient();
        using var response = await api.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        }));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("clientId", "has spaces")]
    [InlineData("displayName", "")]
    [InlineData("clientType", "secretive")]
    [InlineData("grantTypes", "password")]
    [InlineData("tokenEndpointAuthMethod", "tls_client_auth")]
    [InlineData("redirectUris", "/relative")]
    [InlineData("redirectUris", "https://tax.gov.vn/cb#fragment")]
    [InlineData("redirectUris", "http://tax.gov.vn/cb")]
    [InlineData("postLogoutRedirectUris", "ftp://tax.gov.vn/")]
    [InlineData("backchannelLogoutUri", "not a uri")]
    [InlineData("allowedScopes", "everything")]
    [InlineData("sectorIdentifier", "not a host!")]
    [InlineData("minimumAcr", "eidas9")]
    [InlineData("consent", "maybe")]
    public async Task Create_WithABadField_Is400NamingThatField(string field, string value)
    {
        using var http = await hub.CreateAdminClientAsync();
        var request = Service(NewId());
        request[field] = field is "grantTypes" or "redirectUris" or "postLogoutRedirectUris" or "allowedScopes" ? new JsonArray(value) : value;
        await AssertInvalidAsync(http, request, field);
    }

    [Fact]
    public async Task Create_WithRedirectUrisOnTwoHostsAndNoSector_Is400NamingSectorIdentifier()
    {
        using var http = await hub.CreateAdminClientAsync();
        await AssertInvalidAsync(http, Service(NewId(), redirectUris: ["https://a.gov.vn/cb", "https://b.gov.vn/cb"]), "sectorIdentifier");
        var withSector = Service(NewId(), redirectUris: ["https://a.gov.vn/cb", "https://b.gov.vn/cb"]);
        withSector["sectorIdentifier"] = "gov.vn";
        using var created = await http.PostAsJsonAsync(Base, withSector);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task Create_PublicClientWithClientCredentials_Is400()
    {
        using var http = await hub.CreateAdminClientAsync();
        var request = Service(NewId(), grantTypes: ["authorization_code", "client_credentials"]);
        request["clientType"] = "public";
        request.Remove("tokenEndpointAuthMethod");
        await AssertInvalidAsync(http, request, "grantTypes");
    }

    [Fact]
    public async Task Create_PrivateKeyJwtWithoutKeysOrWithAPrivateKey_Is400()
    {
        using var http = await hub.CreateAdminClientAsync();
        var request = Service(NewId());
        request["tokenEndpointAuthMethod"] = "private_key_jwt";
        await AssertInvalidAsync(http, request, "jwks");

        using var rsa = RSA.Create(2048);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(true)));
        request["jwks"] = JsonNode.Parse($$"""{"keys":[{"kty":"RSA","n":"{{jwk.N}}","e":"{{jwk.E}}","d":"{{jwk.D}}","p":"{{jwk.P}}","q":"{{jwk.Q}}"}]}""");
        await AssertInvalidAsync(http, request, "jwks");
    }

    [Fact]
    public async Task Create_Duplicate_Is409AndLeavesTheFirstUntouched()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        await CreateAsync(http, Service(clientId));
        var again = Service(clientId);
        again["displayName"] = "Impostor";
        using var response = await http.PostAsJsonAsync(Base, again);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Tax service", (await http.GetFromJsonAsync<JsonObject>($"{Base}/{clientId}"))!["displayName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_ConcurrentlyWithOneClientId_OneWinsWholeAndTheOthersAre409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var clientId = NewId();
        var bodies = Enumerable.Range(0, 8).Select(i =>
        {
            var body = Service(clientId, grantTypes: ["client_credentials"], redirectUris: []);
            body["displayName"] = $"Tax service {i}";
            return body;
        }).ToList();

        var responses = await Task.WhenAll(bodies.Select(body => http.PostAsJsonAsync(Base, body)));
        try
        {
            var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            Assert.All(responses.Where(r => r != winner), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
            Assert.All(responses.Where(r => r != winner), r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType));

            // What is stored is the winner's registration, whole: its name, and the secret it was given works.
            var created = (await winner.Content.ReadFromJsonAsync<JsonObject>())!;
            var read = await http.GetFromJsonAsync<JsonObject>($"{Base}/{clientId}");
            Assert.Equal(created["displayName"]!.GetValue<string>(), read!["displayName"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(clientId, created["clientSecret"]!.GetValue<string>())).Status);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task UnknownClient_Is404EverywhereAndTheAdminClientIsNotARelyingParty()
    {
        using var http = await hub.CreateAdminClientAsync();
        foreach (var clientId in new[] { "no-such-client", "hub-admin" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{Base}/{clientId}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PutAsJsonAsync($"{Base}/{clientId}", Service(clientId))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"{Base}/{clientId}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"{Base}/{clientId}/secret", null)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync(Base, Service("hub-admin"))).StatusCode);
    }

    [Fact]
    public async Task Create_WithMalformedOrOversizedBody_IsAClear4xx()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var malformed = await http.PostAsync(Base, new StringContent("{\"clientId\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType!.MediaType);

        var huge = Service(NewId());
        huge["displayName"] = new string('x', 70_000);
        using var oversized = await http.PostAsync(Base, new StringContent(huge.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
    }

    private static async Task AssertInvalidAsync(HttpClient http, JsonObject request, string field)
    {
        using var response = await http.PostAsJsonAsync(Base, request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors should name {field}: {body}");
    }

    private static JsonObject Service(string clientId, string[]? grantTypes = null, string[]? redirectUris = null) => new()
    {
        ["clientId"] = clientId,
        ["displayName"] = "Tax service",
        ["clientType"] = "confidential",
        ["grantTypes"] = new JsonArray([.. (grantTypes ?? ["authorization_code", "refresh_token"]).Select(g => (JsonNode)g)]),
        ["tokenEndpointAuthMethod"] = "client_secret_basic",
        ["redirectUris"] = new JsonArray([.. (redirectUris ?? [$"https://tax.gov.vn/{clientId}/callback"]).Select(u => (JsonNode)u)]),
        ["postLogoutRedirectUris"] = new JsonArray(),
        ["allowedScopes"] = grantTypes is ["client_credentials"] ? new JsonArray() : new JsonArray("openid", "profile", "offline_access"),
        ["consent"] = "implicit",
    };

    private static async Task<string> CreateAsync(HttpClient http, JsonObject request)
    {
        using var response = await http.PostAsJsonAsync(Base, request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["clientSecret"]!.GetValue<string>();
    }

    private async Task<TokenResponse> ClientCredentialsAsync(string clientId, string secret)
    {
        using var api = hub.CreateApiClient();
        return await new OidcClient(clientId, secret, "http://unused/").TokenAsync(api, new() { ["grant_type"] = "client_credentials" });
    }

    private static string NewId() => "svc-" + Guid.NewGuid().ToString("N")[..10];
}

public sealed class SqliteRelyingPartiesApiTests(SqliteHub hub) : RelyingPartiesApiTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresRelyingPartiesApiTests(PostgresHub hub) : RelyingPartiesApiTests(hub), IClassFixture<PostgresHub>;
