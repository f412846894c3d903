using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdentityHub.Tests.Infrastructure;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// The hub on a loopback port (issuer written without a trailing slash) with identity sources served by one node
/// process running node-oidc-provider 9 as it ships (pushed authorization requests on): provider <c>main</c>, with an
/// end-session endpoint, holds one client per variant a source may use; provider <c>nologout</c> has no end-session
/// endpoint. The mock provider is there too (<c>mock-bank</c>), to compare the same person through both. Every source is
/// registered through the admin API, as an operator would. <see cref="PostgresNodeOidcProviderFixture"/> is the same on
/// PostgreSQL.
/// </summary>
public class NodeOidcProviderFixture : IAsyncLifetime
{
    public const string Main = "main";
    public const string NoLogout = "nologout";
    private const string Secret = "node-oidc-provider-client-secret-0123456789";

    /// <summary>Each variant of a source: its id at the hub (and client id at the provider), and how it is set up there.</summary>
    public static IReadOnlyList<NodeSource> Sources { get; } =
    [
        new("nop-basic", Main, "client_secret_basic", IdTokenAlg: "RS256", UserInfoAlg: null, ClaimsIn: "both"),
        new("nop-post", Main, "client_secret_post", IdTokenAlg: "PS256", UserInfoAlg: null, ClaimsIn: "userinfo"),
        new("nop-jwt", Main, "private_key_jwt", IdTokenAlg: "ES256", UserInfoAlg: "RS256", ClaimsIn: "id_token"),
        new("nop-signed-userinfo", Main, "client_secret_basic", IdTokenAlg: "RS256", UserInfoAlg: "ES256", ClaimsIn: "userinfo"),
        new("nop-nologout", NoLogout, "client_secret_basic", IdTokenAlg: "RS256", UserInfoAlg: null, ClaimsIn: "both"),
    ];

    protected virtual HubDatabase Database => HubDatabase.Sqlite;

    public HubFactory Hub { get; private set; } = null!;
    public MockBank Bank { get; private set; } = null!;
    public NodeOidcProvider Node { get; private set; } = null!;
    public string HubUrl { get; private set; } = "";

    public static NodeSource Source(string id) => Sources.Single(s => s.Id == id);

    public string IssuerOf(NodeSource source) => Node.Issuers[source.Provider];

    public async Task InitializeAsync()
    {
        HubUrl = $"http://localhost:{Loopback.FreePort()}";
        Hub = new HubFactory(Database, await HubFactory.NewDatabaseAsync(Database), new()
        {
            ["Hub:Issuer"] = HubUrl,
            ["urls"] = HubUrl,
        });
        Hub.UseKestrel();
        Hub.StartServer();
        Bank = new MockBank(HubUrl, ["mock-bank"]);
        Node = await NodeOidcProvider.StartAsync(HubUrl,
        [
            new(Main, EndSession: true, [.. Sources.Where(s => s.Provider == Main).Select(Client)]),
            new(NoLogout, EndSession: false, [.. Sources.Where(s => s.Provider == NoLogout).Select(Client)]),
        ]);

        using var admin = await AdminAsync();
        await RegisterAsync(admin, new JsonObject
        {
            ["id"] = "mock-bank",
            ["displayName"] = "Mock Bank",
            ["kind"] = "oidc",
            ["authority"] = Bank.Url,
            ["clientId"] = "identityhub",
            ["clientSecret"] = "identityhub-secret",
            ["scopes"] = new JsonArray("openid", "profile", "email"),
            ["acr"] = "eidas2",
            ["subjects"] = "individuals",
        });
        foreach (var source in Sources)
        {
            var body = new JsonObject
            {
                ["id"] = source.Id,
                ["displayName"] = $"node-oidc-provider ({source.Id})",
                ["kind"] = "oidc",
                ["authority"] = IssuerOf(source),
                ["clientId"] = source.Id,
                ["scopes"] = new JsonArray("openid", "profile", "email", "birth", "identity_number"),
                ["acr"] = "eidas2",
                ["subjects"] = "individuals",
                ["tokenEndpointAuthMethod"] = source.AuthMethod,
            };
            if (source.AuthMethod != "private_key_jwt")
            {
                body["clientSecret"] = Secret;
            }
            await RegisterAsync(admin, body);
        }
    }

    /// <summary>The client as an operator registers the hub at the provider (docs/integration.md, "Identity sources").</summary>
    private NodeClient Client(NodeSource source)
    {
        var metadata = new JsonObject
        {
            ["client_id"] = source.Id,
            ["token_endpoint_auth_method"] = source.AuthMethod,
            ["id_token_signed_response_alg"] = source.IdTokenAlg,
        };
        if (source.AuthMethod == "private_key_jwt")
        {
            metadata["jwks_uri"] = HubUrl + "/.well-known/jwks";
            metadata["token_endpoint_auth_signing_alg"] = "RS256";
        }
        else
        {
            metadata["client_secret"] = Secret;
        }
        if (source.UserInfoAlg is { } alg)
        {
            metadata["userinfo_signed_response_alg"] = alg;
        }
        return new NodeClient(source.Id, metadata, source.ClaimsIn);
    }

    private static async Task RegisterAsync(HttpClient admin, JsonObject body)
    {
        using var response = await admin.PostAsJsonAsync("/api/admin/v1/identity-sources", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public Task<HttpClient> AdminAsync() => HubFactory.AuthorizeAsAdminAsync(Api());

    public HttpClient Api() => new() { BaseAddress = new Uri(HubUrl) };

    public async Task DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }
        if (Bank is not null)
        {
            await Bank.DisposeAsync();
        }
        await Hub.DisposeAsync();
    }
}

/// <summary>The same on PostgreSQL.</summary>
public sealed class PostgresNodeOidcProviderFixture : NodeOidcProviderFixture
{
    protected override HubDatabase Database => HubDatabase.Postgres;
}

/// <summary>A source served by node-oidc-provider: how the hub authenticates, how the provider signs and where it puts the claims.</summary>
/// <param name="UserInfoAlg">Null: userinfo answers plain JSON; else a JWT signed with this algorithm.</param>
/// <param name="ClaimsIn"><c>both</c>, <c>id_token</c> or <c>userinfo</c>: where the identity claims are.</param>
public sealed record NodeSource(string Id, string Provider, string AuthMethod, string IdTokenAlg, string? UserInfoAlg, string ClaimsIn);
