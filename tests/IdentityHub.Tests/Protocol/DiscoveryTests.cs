using System.Net;
using System.Text.Json;
using IdentityHub.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace IdentityHub.Tests.Protocol;

public sealed class DiscoveryTests(SqliteHub hub) : IClassFixture<SqliteHub>
{
    [Fact]
    public async Task Discovery_AdvertisesWhatTheContractRequiresForThisHub()
    {
        using var http = hub.CreateApiClient();
        var document = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        string[] Values(string name) => [.. document.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

        Assert.Equal(HubFactory.Issuer, document.GetProperty("issuer").GetString());
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint", "introspection_endpoint", "revocation_endpoint" })
        {
            Assert.StartsWith(HubFactory.Issuer, document.GetProperty(endpoint).GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(["code"], Values("response_types_supported"));
        Assert.Superset(new HashSet<string>(["authorization_code", "refresh_token", "client_credentials"]), Values("grant_types_supported").ToHashSet());
        Assert.Equal(["S256"], Values("code_challenge_methods_supported"));
        Assert.Equal(["pairwise"], Values("subject_types_supported"));
        Assert.Superset(new HashSet<string>(["RS256", "ES256"]), Values("id_token_signing_alg_values_supported").ToHashSet());
        Assert.Superset(new HashSet<string>(["client_secret_basic", "client_secret_post", "private_key_jwt"]), Values("token_endpoint_auth_methods_supported").ToHashSet());
        Assert.Equal(["eidas1", "eidas2", "eidas3"], Values("acr_values_supported"));
        Assert.True(document.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
        Assert.Superset(new HashSet<string>(["openid", "profile", "birth", "email", "phone", "address", "identity_number", "enterprise", "offline_access"]),
            Values("scopes_supported").ToHashSet());
        Assert.Superset(new HashSet<string>(["sub", "idp_id", "acr", "amr", "auth_time", "sid", "given_name", "birthplace", "phone_number", "phone_number_verified", "address",
            "identity_number", "enterprise_id", "enterprise_name", "enterprise_role", "enterprise_source"]), Values("claims_supported").ToHashSet());
        Assert.True(document.GetProperty("claims_parameter_supported").GetBoolean());
        Assert.True(document.GetProperty("backchannel_logout_supported").GetBoolean());
        Assert.True(document.GetProperty("backchannel_logout_session_supported").GetBoolean());
        // Not implemented yet, so not advertised.
        Assert.Equal(["consent", "login", "none"], Values("prompt_values_supported").Order());
    }

    [Theory]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.well-known/jwks")]
    public async Task Metadata_ServedAgain_IsTheSameDocumentWithTheSameHeaders(string path)
    {
        using var http = hub.CreateApiClient();
        using var first = await http.GetAsync(path);
        using var second = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Content.Headers.ContentType, second.Content.Headers.ContentType);
        Assert.Equal("application/json", second.Content.Headers.ContentType!.MediaType);
        Assert.Equal("DENY", second.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task Jwks_PublishesAnRsaAndAnEcKey_WithoutPrivateParts()
    {
        using var http = hub.CreateApiClient();
        var json = await http.GetStringAsync("/.well-known/jwks");
        var keys = new JsonWebKeySet(json).Keys;
        Assert.Contains(keys, k => k.Kty == "RSA" && k.Alg == "RS256" && !string.IsNullOrEmpty(k.Kid));
        Assert.Contains(keys, k => k.Kty == "EC" && k.Alg == "ES256" && k.Crv == "P-256");
        Assert.All(keys, k => Assert.False(k.HasPrivateKey));
        Assert.DoesNotContain("\"d\"", json, StringComparison.Ordinal);
    }
}
