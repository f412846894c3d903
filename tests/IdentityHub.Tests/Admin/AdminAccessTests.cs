using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Admin;

/// <summary>The admin API's access rules and OpenAPI description, on each database provider.</summary>
public abstract class AdminAccessTests(HubFactory hub)
{
    [Fact]
    public async Task AdminApi_WithoutToken_Is401WithBearerChallenge()
    {
        using var http = hub.CreateApiClient();
        using var response = await http.GetAsync("/api/admin/v1/relying-parties");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task AdminApi_WithGarbageToken_Is401WithInvalidToken()
    {
        using var http = hub.CreateApiClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var response = await http.GetAsync("/api/admin/v1/relying-parties");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_WithATokenLackingTheScope_Is403InsufficientScope()
    {
        // A person's access token from the demo service: valid, but without hub.admin.
        using var browser = hub.CreateBrowser();
        using var http = hub.CreateApiClient();
        var client = OidcClient.Demo();
        var tokens = await client.RedeemAsync(http, (await client.LoginAsync(browser))["code"]);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        using var response = await http.GetAsync("/api/admin/v1/relying-parties");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("insufficient_scope", challenge, StringComparison.Ordinal);
        Assert.Contains("hub.admin", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_WithBootstrapToken_ListsTheDemoService()
    {
        using var http = await hub.CreateAdminClientAsync();
        var list = await http.GetFromJsonAsync<List<Dictionary<string, object>>>("/api/admin/v1/relying-parties");
        Assert.Contains(list!, rp => rp["clientId"].ToString() == "sample-service");
    }

    [Fact]
    public async Task AdminApi_RevokedToken_StopsWorkingAtOnce()
    {
        using var http = hub.CreateApiClient();
        var admin = new OidcClient("hub-admin", HubFactory.AdminSecret, "http://unused/");
        var token = (await admin.TokenAsync(http, new() { ["grant_type"] = "client_credentials", ["scope"] = "hub.admin" })).AccessToken;
        using (var revoke = await admin.PostAsync(http, "/connect/revoke", new() { ["token"] = token }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.GetAsync("/api/admin/v1/relying-parties");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Bootstrap_WithAShortSecretOutsideDevelopment_RefusesToStart()
    {
        await using var weak = await HubFactory.CreateAsync(hub.Database, new() { ["Hub:Bootstrap:AdminClientSecret"] = "change-me" });
        var failure = Assert.ThrowsAny<Exception>(() => weak.CreateApiClient());
        Assert.Contains("AdminClientSecret must be at least 32", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DescribesTheAdminApi()
    {
        using var http = hub.CreateApiClient();
        var document = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/admin/v1/relying-parties/{clientId}/secret", document, StringComparison.Ordinal);
        Assert.Contains("\"bearer\"", document, StringComparison.Ordinal);
    }
}

public sealed class SqliteAdminAccessTests(SqliteHub hub) : AdminAccessTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresAdminAccessTests(PostgresHub hub) : AdminAccessTests(hub), IClassFixture<PostgresHub>;
