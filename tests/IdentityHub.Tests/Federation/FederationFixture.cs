using System.Net;
using System.Net.Http.Json;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// The hub on a loopback port with two upstream sources registered through the admin API, both served by one
/// mock provider: <c>mock-bank</c> (registered eidas2) and <c>mock-low</c> (registered eidas1, to test capping).
/// On the embedded SQLite database; <see cref="PostgresFederationFixture"/> is the same on PostgreSQL.
/// </summary>
public class FederationFixture : IAsyncLifetime
{
    protected virtual HubDatabase Database => HubDatabase.Sqlite;

    public HubFactory Hub { get; private set; } = null!;
    public MockBank Bank { get; private set; } = null!;
    public string HubUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var port = Loopback.FreePort();
        HubUrl = $"http://localhost:{port}";
        Hub = new HubFactory(Database, await HubFactory.NewDatabaseAsync(Database), new()
        {
            ["Hub:Issuer"] = HubUrl + "/",
            ["urls"] = HubUrl,
            // Short enough for the slow-source test, long enough for a freshly started mock on a loaded machine.
            ["Hub:Federation:TimeoutSeconds"] = "5",
        });
        Hub.UseKestrel();
        Hub.StartServer();
        Bank = new MockBank(HubUrl, ["mock-bank", "mock-low"]);
        await RegisterSourceAsync("mock-bank", "Mock Bank", Bank.Url, "eidas2");
        await RegisterSourceAsync("mock-low", "Mock Low", Bank.Url, "eidas1");
    }

    public async Task RegisterSourceAsync(string id, string displayName, string authority, string acr, Dictionary<string, string>? claimMappings = null, bool enabled = true,
        string subjects = "individuals")
    {
        using var admin = await AdminAsync();
        using var response = await admin.PostAsJsonAsync("/api/admin/v1/identity-sources", new
        {
            id,
            displayName,
            kind = "oidc",
            authority,
            clientId = "identityhub",
            clientSecret = "identityhub-secret",
            scopes = new[] { "openid", "profile", "email" },
            acr,
            subjects,
            claimMappings = claimMappings ?? [],
            enabled,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A confidential service of its own (implicit consent, sector <c>{name}.example</c>) registered through the admin
    /// API, with <c>https://{name}.example/signout</c> as its post-logout address, allowed <c>openid profile</c> unless
    /// <paramref name="scopes"/> says otherwise.
    /// </summary>
    public async Task<OidcClient> RegisterServiceAsync(string name, string? backchannelLogoutUri = null, string[]? scopes = null, bool enterpriseOnly = false)
    {
        var clientId = name + "-" + Guid.NewGuid().ToString("N")[..8];
        var redirectUri = $"https://{name}.example/cb";
        using var admin = await AdminAsync();
        using var response = await admin.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = name,
            clientType = "confidential",
            redirectUris = new[] { redirectUri },
            postLogoutRedirectUris = new[] { PostLogoutUri(name) },
            backchannelLogoutUri,
            allowedScopes = scopes ?? ["openid", "profile"],
            enterpriseOnly,
            consent = "implicit",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var secret = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("clientSecret").GetString();
        return new OidcClient(clientId, secret, redirectUri);
    }

    public static string PostLogoutUri(string name) => $"https://{name}.example/signout";

    public Task<HttpClient> AdminAsync() => HubFactory.AuthorizeAsAdminAsync(Api());

    public HttpClient Api() => new() { BaseAddress = new Uri(HubUrl) };

    public async Task DisposeAsync()
    {
        await Bank.DisposeAsync();
        await Hub.DisposeAsync();
    }
}

/// <summary>The same hub and sources on PostgreSQL, where token rows (the federation client's state tokens too) are written with plain SQL.</summary>
public sealed class PostgresFederationFixture : FederationFixture
{
    protected override HubDatabase Database => HubDatabase.Postgres;
}
