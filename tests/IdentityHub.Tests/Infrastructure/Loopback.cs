using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OpenIddict.Abstractions;
using SampleRelyingParty;

namespace IdentityHub.Tests.Infrastructure;

public static class Loopback
{
    /// <summary>A TCP port nobody listens on right now, for a server started on Kestrel.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The real sample service, with Production settings plus the given ones (its Oidc:* settings above all).</summary>
public sealed class SampleServiceFactory(Dictionary<string, string?> settings) : WebApplicationFactory<SampleRelyingPartyMarker>
{
    public string Url => settings["urls"]!;

    /// <summary>
    /// Registers a client for a sample service on a free loopback port at <paramref name="hub"/> (sector localhost),
    /// then starts that service on Kestrel against the hub at <paramref name="hubUrl"/>.
    /// </summary>
    /// <param name="host">The host name to listen on (a second service may take another one, as a second site would).</param>
    /// <param name="dataScopes">Data scopes the service is allowed besides its usual ones.</param>
    /// <param name="settings">Settings of the service beyond its client registration (a data provider to read, say).</param>
    public static async Task<SampleServiceFactory> StartAsync(HubFactory hub, string hubUrl, string clientId, string host = "localhost",
        IEnumerable<string>? dataScopes = null, Dictionary<string, string?>? settings = null)
    {
        var url = $"http://{host}:{Loopback.FreePort()}";
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = clientId + "-secret-0123456789abcdef",
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = "Sample service (test)",
            RedirectUris = { new Uri(url + "/signin-oidc") },
            PostLogoutRedirectUris = { new Uri(url + "/signout-callback-oidc") },
        };
        descriptor.Permissions.UnionWith(["ept:authorization", "ept:token", "ept:end_session", "gt:authorization_code", "gt:refresh_token", "rst:code",
            "scp:profile", "scp:birth", "scp:email", "scp:enterprise", .. (dataScopes ?? []).Select(s => "scp:" + s)]);
        await hub.RegisterClientAsync(descriptor, "localhost");
        Dictionary<string, string?> all = new()
        {
            ["Oidc:Authority"] = hubUrl,
            ["Oidc:ClientId"] = clientId,
            ["Oidc:ClientSecret"] = descriptor.ClientSecret,
            // The tests of data sharing start a data provider and name it; the others read no provider's data.
            ["Oidc:DataResource"] = "",
            ["urls"] = url,
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        var service = new SampleServiceFactory(all);
        service.UseKestrel();
        service.StartServer();
        return service;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>The real sample data provider (the tax office's API), with Production settings plus the given ones.</summary>
public sealed class SampleDataProviderFactory(Dictionary<string, string?> settings) : WebApplicationFactory<SampleDataProvider.SampleDataProviderMarker>
{
    public string Url => settings["urls"]!;

    /// <summary>Starts the provider on Kestrel, on a free loopback port, introspecting at the hub at <paramref name="hubUrl"/>.</summary>
    public static SampleDataProviderFactory Start(string hubUrl, string clientId, string secret, string scope, string url)
    {
        var provider = new SampleDataProviderFactory(new()
        {
            ["Hub:Authority"] = hubUrl,
            ["Hub:ClientId"] = clientId,
            ["Hub:ClientSecret"] = secret,
            ["Hub:Resource"] = url,
            ["Hub:Scope"] = scope,
            ["urls"] = url,
        });
        provider.UseKestrel();
        provider.StartServer();
        return provider;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
