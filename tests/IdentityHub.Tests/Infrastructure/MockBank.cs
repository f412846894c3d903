using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MockIdentityProvider;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>The mock upstream provider on a loopback port, registered at the hub's callback for each given source id.</summary>
public sealed class MockBank : WebApplicationFactory<MockIdentityProviderMarker>
{
    private readonly Dictionary<string, string?> _settings;

    public MockBank(string hubUrl, IEnumerable<string> sourceIds, Dictionary<string, string?>? extra = null)
    {
        var port = Loopback.FreePort();
        Url = $"http://localhost:{port}";
        _settings = new() { ["Mock:Issuer"] = Url, ["urls"] = Url };
        var index = 0;
        foreach (var id in sourceIds)
        {
            _settings[$"Mock:RedirectUris:{index}"] = $"{hubUrl}/signin/{id}";
            _settings[$"Mock:PostLogoutRedirectUris:{index++}"] = $"{hubUrl}/signout/{id}";
        }
        foreach (var (key, value) in extra ?? [])
        {
            _settings[key] = value;
        }
        UseKestrel();
        StartServer();
        if (!_settings.ContainsKey("Mock:DelayMilliseconds"))
        {
            // The first request of a fresh server pays its start-up; the hub's first discovery read should not.
            using var http = new HttpClient();
            http.GetAsync(Url + "/.well-known/openid-configuration").GetAwaiter().GetResult().Dispose();
        }
    }

    public string Url { get; }

    /// <summary>The parameters of the last authorization request the mock received (what the hub sent upstream).</summary>
    public async Task<Dictionary<string, string>> LastAuthorizeAsync()
    {
        using var http = new HttpClient();
        return (await http.GetFromJsonAsync<Dictionary<string, string>>(Url + "/test/last-authorize"))!;
    }

    /// <summary>The logouts the mock's end-session endpoint has accepted, oldest first.</summary>
    public async Task<IReadOnlyList<LogoutRecord>> LogoutsAsync()
    {
        using var http = new HttpClient();
        return (await http.GetFromJsonAsync<LogoutList>(Url + "/test/logouts"))!.Logouts;
    }

    private sealed record LogoutList(int Count, IReadOnlyList<LogoutRecord> Logouts);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
