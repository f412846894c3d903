using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IdentityHub.Tests.Certification;

/// <summary>
/// The scope and claims modules of the OpenID Foundation's Basic OP plan, each test named after the module it mirrors,
/// and what the modules take for granted: nothing but the claims of the contract reaches a service, in the ID token, the
/// access token or userinfo (docs/integration.md, "Scopes and claims"). The demo citizen has every claim the hub serves.
/// </summary>
public abstract class ScopeAndClaimsModuleTests(HubFactory hub)
{
    private const string EveryScope = "openid profile birth email phone address identity_number";

    private static readonly string[] DemoAddress = ["1 Tràng Tiền", "Hoàn Kiếm", "Hà Nội", "100000", "VN"];

    /// <summary>Every claim an ID token may carry for <see cref="EveryScope"/>: JWT and OpenID Connect claims, then the scopes' own.</summary>
    private static readonly string[] IdTokenClaims =
    [
        "iss", "sub", "aud", "exp", "iat", "nonce", "azp", "at_hash", "acr", "amr", "auth_time", "idp_id", "sid",
        "given_name", "family_name", "preferred_username", "gender", "birthdate", "birthplace", "birthcountry",
        "email", "email_verified", "phone_number", "phone_number_verified", "address", "identity_number",
    ];

    /// <summary>The access token carries no personal data (RFC 9068 claims, and how the person came in).</summary>
    private static readonly string[] AccessTokenClaims = ["iss", "sub", "exp", "iat", "jti", "scope", "client_id", "acr", "idp_id"];

    private static readonly string[] UserInfoClaims =
    [
        "sub", "idp_id", "given_name", "family_name", "preferred_username", "gender", "birthdate", "birthplace", "birthcountry",
        "email", "email_verified", "phone_number", "phone_number_verified", "address", "identity_number",
    ];

    [Fact]
    public async Task oidcc_scope_address()
    {
        var client = await RegisterServiceAsync("openid", "address");
        var (tokens, userinfo) = await LogInAsync(client, "openid address");

        AssertDemoAddress(Payload(tokens.IdToken).GetProperty("address"));
        AssertDemoAddress(userinfo.GetProperty("address"));
        Assert.False(userinfo.TryGetProperty("email", out _));
        Assert.False(userinfo.TryGetProperty("given_name", out _));
    }

    [Fact]
    public async Task oidcc_scope_phone()
    {
        var client = await RegisterServiceAsync("openid", "phone");
        var (tokens, userinfo) = await LogInAsync(client, "openid phone");

        foreach (var claims in new[] { Payload(tokens.IdToken), userinfo })
        {
            Assert.Equal("+84901234567", claims.GetProperty("phone_number").GetString());
            Assert.True(claims.GetProperty("phone_number_verified").GetBoolean());
            Assert.False(claims.TryGetProperty("address", out _));
        }
    }

    [Fact]
    public async Task oidcc_scope_all()
    {
        var client = await RegisterServiceAsync("openid", "profile", "email", "address", "phone");
        var (tokens, userinfo) = await LogInAsync(client, "openid profile email address phone");

        foreach (var claims in new[] { Payload(tokens.IdToken), userinfo })
        {
            Assert.Equal("An", claims.GetProperty("given_name").GetString());
            Assert.Equal("Nguyễn Văn", claims.GetProperty("family_name").GetString());
            Assert.Equal("1990-03-14", claims.GetProperty("birthdate").GetString());
            Assert.Equal("demo.citizen@example.vn", claims.GetProperty("email").GetString());
            Assert.Equal("+84901234567", claims.GetProperty("phone_number").GetString());
            AssertDemoAddress(claims.GetProperty("address"));
            // Neither birth nor identity_number was asked for.
            Assert.False(claims.TryGetProperty("birthplace", out _));
            Assert.False(claims.TryGetProperty("identity_number", out _));
        }
    }

    [Fact]
    public async Task oidcc_claims_essential()
    {
        // The module asks for an essential name in userinfo with the scope openid alone; the hub has no name claim
        // (given and family names only): it ignores the claim without an error, and gives the claims it has.
        var client = await RegisterServiceAsync("openid", "email");
        var claims = """{"userinfo": {"name": {"essential": true}, "email": {"essential": true}}}""";
        var (tokens, userinfo) = await LogInAsync(client, "openid", claims);

        Assert.Equal("demo.citizen@example.vn", userinfo.GetProperty("email").GetString());
        Assert.Equal(["email", "idp_id", "sub"], Names(userinfo));
        // Asked for userinfo, so not in the ID token; and the access token carries no trace of the request.
        Assert.False(Payload(tokens.IdToken).TryGetProperty("email", out _));
        Assert.Equal(AccessTokenClaims.Order(StringComparer.Ordinal), Names(Payload(tokens.AccessToken)));
    }

    [Fact]
    public async Task ClaimsParameter_IdTokenMembers_GoIntoTheIdToken_AndUserinfoMembersStayThereAfterARefresh()
    {
        var client = await RegisterServiceAsync("openid", "email", "phone", "identity_number", "offline_access");
        var claims = """{"id_token": {"identity_number": {"essential": true}, "phone_number": null}, "userinfo": {"email": null}}""";
        var (tokens, userinfo) = await LogInAsync(client, "openid offline_access", claims);

        var id = Payload(tokens.IdToken);
        Assert.Equal("001190000001", id.GetProperty("identity_number").GetString());
        Assert.Equal("+84901234567", id.GetProperty("phone_number").GetString());
        // Only what was asked: phone_number without its _verified companion, no email in the ID token.
        Assert.False(id.TryGetProperty("phone_number_verified", out _));
        Assert.False(id.TryGetProperty("email", out _));
        Assert.Equal(["email", "idp_id", "sub"], Names(userinfo));

        using var http = hub.CreateApiClient();
        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(["email", "idp_id", "sub"], Names(await UserInfoAsync(http, refreshed.AccessToken)));
        Assert.Equal("001190000001", Payload(refreshed.IdToken).GetProperty("identity_number").GetString());
    }

    [Fact]
    public async Task ClaimsParameter_NeverReleasesAClaimOutsideTheServicesAllowedScopes()
    {
        // The demo service is allowed openid profile birth email offline_access: not phone, address or identity_number.
        var claims = """
            {"id_token": {"identity_number": {"essential": true}, "address": null, "given_name": null},
             "userinfo": {"phone_number": {"essential": true}, "identity_number": null, "family_name": null}}
            """;
        var (tokens, userinfo) = await LogInAsync(BasicOpChecks.SuiteClient(), "openid", claims);

        var id = Payload(tokens.IdToken);
        Assert.Equal("An", id.GetProperty("given_name").GetString());
        Assert.False(id.TryGetProperty("identity_number", out _));
        Assert.False(id.TryGetProperty("address", out _));
        Assert.Equal(["family_name", "idp_id", "sub"], Names(userinfo));
    }

    [Fact]
    public async Task Tokens_AndUserinfo_CarryExactlyTheClaimsOfTheContract_AndNoneOfTheHubsInternals()
    {
        var client = await RegisterServiceAsync("openid", "profile", "birth", "email", "phone", "address", "identity_number", "offline_access");
        // A claims request too, so that everything the hub carries for itself is on the principal.
        var (tokens, userinfo) = await LogInAsync(client, EveryScope + " offline_access", """{"userinfo": {"email": null}, "id_token": {"email": null}}""");

        Assert.Equal(IdTokenClaims.Order(StringComparer.Ordinal), Names(Payload(tokens.IdToken)));
        Assert.Equal(AccessTokenClaims.Order(StringComparer.Ordinal), Names(Payload(tokens.AccessToken)));
        Assert.Equal(UserInfoClaims.Order(StringComparer.Ordinal), Names(userinfo));
        Assert.Equal(EveryScope + " offline_access", Payload(tokens.AccessToken).GetProperty("scope").GetString());

        using var http = hub.CreateApiClient();
        var refreshed = await client.RefreshAsync(http, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal(IdTokenClaims.Order(StringComparer.Ordinal), Names(Payload(refreshed.IdToken)));
        Assert.Equal(AccessTokenClaims.Order(StringComparer.Ordinal), Names(Payload(refreshed.AccessToken)));

        using var introspection = await client.PostAsync(http, "/connect/introspect", new() { ["token"] = refreshed.AccessToken });
        var answer = await introspection.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.DoesNotContain(Names(answer), n => n.StartsWith("oi_", StringComparison.Ordinal) || n.StartsWith("hub_", StringComparison.Ordinal));
        // The access token's identifier is its jti, the same in introspection.
        Assert.Equal(Payload(refreshed.AccessToken).GetProperty("jti").GetString(), answer.GetProperty("jti").GetString());
    }

    [Fact]
    public async Task IdToken_Carries_Sid_AndAmr_UserinfoNeither()
    {
        var client = await RegisterServiceAsync("openid");
        var (tokens, userinfo) = await LogInAsync(client, "openid");

        var id = Payload(tokens.IdToken);
        Assert.Matches("^[A-Za-z0-9_-]{20,}$", id.GetProperty("sid").GetString());
        Assert.Equal("""["pwd"]""", id.GetProperty("amr").GetRawText());
        Assert.Equal(["idp_id", "sub"], Names(userinfo));
        Assert.False(Payload(tokens.AccessToken).TryGetProperty("sid", out _));
    }

    [Fact]
    public async Task AccessToken_SignedByTheHubWithoutAnIdentifier_IsRefused()
    {
        // Its row is what makes revocation work; one that names no row, or a row that does not exist, is not accepted.
        var (tokens, _) = await LogInAsync(BasicOpChecks.SuiteClient(), "openid email");
        var options = hub.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        var rsa = options.SigningCredentials.First(c => c.Key is RsaSecurityKey || c.Algorithm == SecurityAlgorithms.RsaSha256);
        var genuine = Payload(tokens.AccessToken);
        string Forge(string? jti)
        {
            var claims = new Dictionary<string, object>
            {
                ["sub"] = genuine.GetProperty("sub").GetString()!,
                ["scope"] = "openid email",
                ["client_id"] = OidcClient.DemoClientId,
            };
            if (jti is not null)
            {
                claims["jti"] = jti;
            }
            return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = HubFactory.Issuer,
                TokenType = "at+jwt",
                IssuedAt = DateTime.UtcNow,
                Expires = DateTime.UtcNow.AddMinutes(5),
                Claims = claims,
                SigningCredentials = rsa,
            });
        }

        using var http = hub.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await UserInfoResponseAsync(http, tokens.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoResponseAsync(http, Forge(jti: null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoResponseAsync(http, Forge(Guid.NewGuid().ToString()))).StatusCode);
    }

    private async Task<OidcClient> RegisterServiceAsync(params string[] scopes)
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "module-" + Guid.NewGuid().ToString("N")[..10];
        var redirectUri = $"https://{clientId}.gov.vn/cb";
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Certification module " + clientId,
            clientType = "confidential",
            redirectUris = new[] { redirectUri },
            allowedScopes = scopes,
            consent = "implicit",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString();
        return new OidcClient(clientId, secret, redirectUri) { Pkce = false };
    }

    private async Task<(TokenResponse Tokens, JsonElement UserInfo)> LogInAsync(OidcClient client, string scope, string? claims = null)
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var extra = claims is null ? null : new Dictionary<string, string?> { ["claims"] = claims };
        var callback = await client.LoginAsync(browser, url: client.AuthorizeUrl(scope, extra));
        Assert.True(callback.ContainsKey("code"), string.Join(", ", callback.Select(p => $"{p.Key}={p.Value}")));
        var tokens = await client.RedeemAsync(http, callback["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        return (tokens, await UserInfoAsync(http, tokens.AccessToken));
    }

    private static async Task<JsonElement> UserInfoAsync(HttpClient http, string accessToken)
    {
        using var response = await UserInfoResponseAsync(http, accessToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<HttpResponseMessage> UserInfoResponseAsync(HttpClient http, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await http.SendAsync(request);
    }

    /// <summary>A JWT's payload as the service decodes it.</summary>
    private static JsonElement Payload(string jwt) => JsonDocument.Parse(Base64UrlEncoder.Decode(new JsonWebToken(jwt).EncodedPayload)).RootElement.Clone();

    private static string[] Names(JsonElement claims) => [.. claims.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal)];

    private static void AssertDemoAddress(JsonElement address)
    {
        Assert.Equal(JsonValueKind.Object, address.ValueKind);
        Assert.Equal(["street_address", "locality", "region", "postal_code", "country"], address.EnumerateObject().Select(m => m.Name));
        Assert.Equal(DemoAddress, address.EnumerateObject().Select(m => m.Value.GetString()!));
    }
}

public sealed class SqliteScopeAndClaimsModuleTests(SqliteHub hub) : ScopeAndClaimsModuleTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresScopeAndClaimsModuleTests(PostgresHub hub) : ScopeAndClaimsModuleTests(hub), IClassFixture<PostgresHub>;
