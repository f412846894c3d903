using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
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
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
