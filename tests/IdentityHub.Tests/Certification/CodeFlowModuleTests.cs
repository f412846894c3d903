using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Certification;

/// <summary>
/// Modules of the OpenID Foundation's Basic OP plan (oidcc-basic-certification-test-plan) about the code flow itself:
/// the token response, the ID token, userinfo, scopes and discovery. One test per module, named after it.
/// </summary>
public sealed class CodeFlowModuleTests(PostgresHub hub) : IClassFixture<PostgresHub>
{
    [Fact]
    public async Task oidcc_server()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid"));

        var tokens = await client.RedeemAsync(http, code);
        var idToken = await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        Assert.True(BasicOpChecks.AuthTime(idToken) > 0);
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal(idToken.Subject, userinfo.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task oidcc_server_client_secret_post()
    {
        using var admin = await hub.CreateAdminClientAsync();
        var clientId = "secret-post-" + Guid.NewGuid().ToString("N")[..8];
        const string RedirectUri = "https://post.gov.vn/cb";
        using var created = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Secret post service",
            clientType = "confidential",
            tokenEndpointAuthMethod = "client_secret_post",
            redirectUris = new[] { RedirectUri },
            allowedScopes = new[] { "openid" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;

        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        // No secret given to the helper: it sends client_id in the form, and the secret goes beside it (RFC 6749 2.3.1).
        var client = new OidcClient(clientId, null, RedirectUri);
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid"));
        var tokens = await client.TokenAsync(http, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["code_verifier"] = client.Verifier,
            ["client_secret"] = secret,
        });
        await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
    }

    [Fact]
    public async Task oidcc_idtoken_signature()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var tokens = await client.RedeemAsync(http, await BasicOpChecks.LoginAsync(browser, client, issuer));

        // Default algorithm RS256, a kid naming one key of the JWKS (OIDC Core 10.1), and the signature checks with it.
        var idToken = await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        Assert.Equal("RS256", idToken.Alg);
        Assert.False(string.IsNullOrEmpty(idToken.Kid));
        var keys = new JsonWebKeySet(await http.GetStringAsync(BasicOpChecks.PathOf(await BasicOpChecks.DiscoveryAsync(http), "jwks_uri")));
        var key = Assert.Single(keys.Keys, k => k.Kid == idToken.Kid);
        Assert.Equal("RSA", key.Kty);
        Assert.Equal("sig", key.Use);
    }

    [Fact]
    public async Task oidcc_idtoken_unsigned()
    {
        // The module runs only when discovery offers "none"; the hub never issues an unsigned ID token, and says so.
        using var http = hub.CreateApiClient();
        var discovery = await BasicOpChecks.DiscoveryAsync(http);
        var algorithms = discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.DoesNotContain("none", algorithms);
        Assert.Contains("RS256", algorithms);
    }

    [Fact]
    public async Task oidcc_userinfo_get()
    {
        var (http, tokens, subject) = await SignedInAsync("openid profile");
        using var _ = http;
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal(subject, userinfo.GetProperty("sub").GetString());
        Assert.Equal("An", userinfo.GetProperty("given_name").GetString());
    }

    [Fact]
    public async Task oidcc_userinfo_post_header()
    {
        var (http, tokens, subject) = await SignedInAsync("openid profile");
        using var _ = http;
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Post, tokens.AccessToken);
        Assert.Equal(subject, userinfo.GetProperty("sub").GetString());
        Assert.Equal("An", userinfo.GetProperty("given_name").GetString());
    }

    [Fact]
    public async Task oidcc_userinfo_post_body()
    {
        var (http, tokens, subject) = await SignedInAsync("openid profile");
        using var _ = http;
        // RFC 6750 2.2: the access token as a form parameter, no Authorization header.
        using var request = new HttpRequestMessage(HttpMethod.Post, BasicOpChecks.PathOf(await BasicOpChecks.DiscoveryAsync(http), "userinfo_endpoint"))
        {
            Content = new FormUrlEncodedContent([new("access_token", tokens.AccessToken)]),
        };
        var userinfo = await BasicOpChecks.UserInfoResponseAsync(http, request);
        Assert.Equal(subject, userinfo.GetProperty("sub").GetString());
        Assert.Equal("An", userinfo.GetProperty("given_name").GetString());

        // A wrong token in the body is refused like a wrong one in the header.
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/connect/userinfo")
        {
            Content = new FormUrlEncodedContent([new("access_token", tokens.AccessToken[..^4] + "AAAA")]),
        };
        using var refused = await http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task oidcc_scope_profile()
    {
        var (http, tokens, _) = await SignedInAsync("openid profile");
        using var __ = http;
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal("An", userinfo.GetProperty("given_name").GetString());
        Assert.Equal("Nguyễn Văn", userinfo.GetProperty("family_name").GetString());
        Assert.Equal("Nguyễn Văn An", userinfo.GetProperty("preferred_username").GetString());
        Assert.Equal("male", userinfo.GetProperty("gender").GetString());
        Assert.Equal("1990-03-14", userinfo.GetProperty("birthdate").GetString());
        // Only the scope asked for.
        Assert.False(userinfo.TryGetProperty("email", out _));
        Assert.False(userinfo.TryGetProperty("birthplace", out _));
        Assert.False(tokens.IdTokenJwt.TryGetClaim("email", out _));
        Assert.Equal("An", tokens.IdTokenJwt.GetClaim("given_name").Value);
    }

    [Fact]
    public async Task oidcc_scope_email()
    {
        var (http, tokens, _) = await SignedInAsync("openid email");
        using var __ = http;
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal("demo.citizen@example.vn", userinfo.GetProperty("email").GetString());
        Assert.True(userinfo.GetProperty("email_verified").GetBoolean());
        Assert.False(userinfo.TryGetProperty("given_name", out _));
        Assert.Equal("demo.citizen@example.vn", tokens.IdTokenJwt.GetClaim("email").Value);
    }

    [Fact]
    public async Task oidcc_ensure_other_scope_order_succeeds()
    {
        // The suite puts openid last; scopes are a set (RFC 6749 3.3).
        var (http, tokens, _) = await SignedInAsync("email openid");
        using var __ = http;
        var userinfo = await BasicOpChecks.UserInfoAsync(http, HttpMethod.Get, tokens.AccessToken);
        Assert.Equal("demo.citizen@example.vn", userinfo.GetProperty("email").GetString());
        Assert.Equal("demo.citizen@example.vn", tokens.IdTokenJwt.GetClaim("email").Value);
    }

    [Fact]
    public async Task oidcc_ensure_request_with_valid_pkce_succeeds()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = OidcClient.Demo();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid"));
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);
    }

    [Fact]
    public async Task oidcc_codereuse()
    {
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl("openid"));
        await BasicOpChecks.IdTokenAsync(http, await client.RedeemAsync(http, code), client, issuer);

        var again = await client.RedeemAsync(http, code);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("invalid_grant", again.Error);
        Assert.False(again.Body.TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task oidcc_discovery_endpoint_verification()
    {
        using var http = hub.CreateApiClient();
        using var response = await http.GetAsync("/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var discovery = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        string[] Values(string name) => [.. discovery.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

        // The issuer is where the document was read from, less its well-known suffix (OpenID Connect Discovery 4.3),
        // and a valid URL without query or fragment.
        var issuer = discovery.GetProperty("issuer").GetString()!;
        var location = new Uri(new Uri(HubFactory.Issuer), "/.well-known/openid-configuration").AbsoluteUri;
        Assert.Equal(location, issuer.TrimEnd('/') + "/.well-known/openid-configuration");
        Assert.True(Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) && issuerUri.Query.Length == 0 && issuerUri.Fragment.Length == 0);

        // Every endpoint the hub publishes (docs/integration.md, "Endpoints"), absolute and under the issuer.
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint", "introspection_endpoint", "revocation_endpoint" })
        {
            Assert.StartsWith(issuer.TrimEnd('/') + "/", discovery.GetProperty(endpoint).GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(["code"], Values("response_types_supported"));
        Assert.Superset(new HashSet<string>(["authorization_code", "refresh_token", "client_credentials"]), Values("grant_types_supported").ToHashSet());
        Assert.Equal(["S256"], Values("code_challenge_methods_supported"));
        Assert.Equal(["pairwise"], Values("subject_types_supported"));
        Assert.Superset(new HashSet<string>(["RS256", "ES256"]), Values("id_token_signing_alg_values_supported").ToHashSet());
        Assert.Superset(new HashSet<string>(["client_secret_basic", "client_secret_post", "private_key_jwt"]), Values("token_endpoint_auth_methods_supported").ToHashSet());
        Assert.Equal(["eidas1", "eidas2", "eidas3"], Values("acr_values_supported"));
        Assert.True(discovery.GetProperty("claims_parameter_supported").GetBoolean());
        Assert.True(discovery.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
        Assert.Contains("openid", Values("scopes_supported"));
        Assert.Superset(new HashSet<string>(["sub", "acr", "auth_time", "given_name", "email"]), Values("claims_supported").ToHashSet());
        Assert.Superset(new HashSet<string>(["vi", "en", "fr"]), Values("ui_locales_supported").ToHashSet());
        // The hub refuses request objects, by value and by reference, and says so: without the flag, OpenID Connect
        // Discovery 3 lets a client assume request_uri is supported.
        Assert.False(discovery.GetProperty("request_parameter_supported").GetBoolean());
        Assert.False(discovery.GetProperty("request_uri_parameter_supported").GetBoolean());

        // The JWKS holds public signing keys only, each with a kid.
        var keys = new JsonWebKeySet(await http.GetStringAsync(BasicOpChecks.PathOf(discovery, "jwks_uri"))).Keys;
        Assert.NotEmpty(keys);
        Assert.All(keys, k =>
        {
            Assert.False(k.HasPrivateKey);
            Assert.False(string.IsNullOrEmpty(k.Kid));
            Assert.Equal("sig", k.Use);
        });
        Assert.Equal(keys.Count, keys.Select(k => k.Kid).Distinct().Count());
    }

    /// <summary>A registry login of the demo citizen for <paramref name="scope"/>, redeemed and checked.</summary>
    private async Task<(HttpClient Http, TokenResponse Tokens, string Subject)> SignedInAsync(string scope)
    {
        using var browser = hub.CreateBrowser();
        var http = hub.CreateApiClient();
        var issuer = await BasicOpChecks.IssuerAsync(http);
        var client = BasicOpChecks.SuiteClient();
        var code = await BasicOpChecks.LoginAsync(browser, client, issuer, client.AuthorizeUrl(scope));
        var tokens = await client.RedeemAsync(http, code);
        var idToken = await BasicOpChecks.IdTokenAsync(http, tokens, client, issuer);
        return (http, tokens, idToken.Subject);
    }
}
