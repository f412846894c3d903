using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace IdentityHub.Tests.Infrastructure;

public enum HubDatabase
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The real hub, in process, with Production settings except plain HTTP, on its own fresh database.
/// </summary>
public class HubFactory : WebApplicationFactory<SharedResource>
{
    public const string Issuer = "http://localhost/";

    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _time;

    /// <param name="time">The hub's clock; a <c>FakeTimeProvider</c> lets a test move time instead of waiting.</param>
    public HubFactory(HubDatabase database, string connectionString, Dictionary<string, string?>? extra = null, TimeProvider? time = null)
    {
        Database = database;
        ConnectionString = connectionString;
        _time = time;
        _settings = new()
        {
            ["Hub:Database:Provider"] = database.ToString(),
            ["ConnectionStrings:Hub"] = connectionString,
            ["Hub:Issuer"] = Issuer,
            ["Hub:RequireHttps"] = "false",
            ["Hub:Seed:Demo"] = "true",
            ["Hub:Subjects:PairwiseKey"] = SharedPairwiseKey,
            ["Hub:Bootstrap:AdminClientSecret"] = AdminSecret,
            // Tests log the same demo people in many times a minute from one address; the limits' own tests set them low.
            ["Hub:Registry:RateLimits:PerIpPerMinute"] = "100000",
            ["Hub:Registry:RateLimits:PerAccountPerMinute"] = "100000",
        };
        foreach (var (key, value) in extra ?? [])
        {
            _settings[key] = value;
        }
    }

    /// <summary>One key per test run: factories sharing a database must derive the same subjects.</summary>
    public static string SharedPairwiseKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public const string AdminSecret = "bootstrap-admin-secret-for-tests-0123456789";

    public HubDatabase Database { get; }
    public string ConnectionString { get; }

    public static async Task<HubFactory> CreateAsync(HubDatabase database, Dictionary<string, string?>? extra = null, TimeProvider? time = null) =>
        new(database, await NewDatabaseAsync(database), extra, time);

    public static async Task<string> NewDatabaseAsync(HubDatabase database) => database switch
    {
        HubDatabase.Postgres => await PostgresCluster.CreateDatabaseAsync(),
        _ => $"Data Source={Path.Combine(Path.GetTempPath(), "identityhub-test-" + Guid.NewGuid().ToString("N") + ".db")}",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (_time is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(_time));
        }
    }

    /// <param name="agreeToConsent">False for a test that drives the consent page itself (<see cref="Browser.AgreeToConsent"/>).</param>
    public Browser CreateBrowser(System.Net.CookieContainer? jar = null, bool agreeToConsent = true) =>
        new(CreateDefaultClient(new Uri(Issuer), new CookieHandler(jar ?? new System.Net.CookieContainer()))) { AgreeToConsent = agreeToConsent };

    public HttpClient CreateApiClient() => CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = false,
        BaseAddress = new Uri(Issuer),
    });

    /// <summary>An HTTP client carrying a hub.admin access token of the bootstrap client hub-admin.</summary>
    public async Task<HttpClient> CreateAdminClientAsync(string scope = "hub.admin") => await AuthorizeAsAdminAsync(CreateApiClient(), scope);

    /// <summary>Gives <paramref name="http"/>, a client of a hub started with <see cref="AdminSecret"/>, a hub-admin access token.</summary>
    public static async Task<HttpClient> AuthorizeAsAdminAsync(HttpClient http, string scope = "hub.admin")
    {
        var token = await new OidcClient("hub-admin", AdminSecret, "http://unused/").TokenAsync(http, new() { ["grant_type"] = "client_credentials", ["scope"] = scope });
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.AccessToken);
        return http;
    }

    /// <summary>
    /// Registers an extra client directly through OpenIddict, quicker than the admin API; with a
    /// <paramref name="sector"/>, also the hub's row for it (consent mode, back-channel logout address).
    /// </summary>
    public async Task RegisterClientAsync(OpenIddictApplicationDescriptor descriptor, string? sector = null,
        IdentityHub.Protocol.ConsentMode consent = IdentityHub.Protocol.ConsentMode.Explicit, string? backchannelLogoutUri = null)
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(descriptor);
        if (sector is not null)
        {
            var db = scope.ServiceProvider.GetRequiredService<IdentityHub.Data.HubDbContext>();
            db.RelyingParties.Add(new IdentityHub.Protocol.RelyingParty
            {
                ClientId = descriptor.ClientId!,
                SectorIdentifier = sector,
                Consent = consent,
                BackchannelLogoutUri = backchannelLogoutUri is null ? null : new Uri(backchannelLogoutUri),
            });
            await db.SaveChangesAsync();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (Database == HubDatabase.Sqlite)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var file = ConnectionString["Data Source=".Length..];
            foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(path);
            }
        }
    }
}

/// <summary>xunit class fixtures: one hub (and one database) per test class and provider.</summary>
public sealed class SqliteHub() : HubFactory(HubDatabase.Sqlite, NewDatabaseAsync(HubDatabase.Sqlite).GetAwaiter().GetResult());

public sealed class PostgresHub() : HubFactory(HubDatabase.Postgres, NewDatabaseAsync(HubDatabase.Postgres).GetAwaiter().GetResult());
