using System.Net;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>A cookie jar that several clients can share, as one browser talks to every instance behind a load balancer.</summary>
public sealed class CookieHandler(CookieContainer jar) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        if (jar.GetCookieHeader(uri) is { Length: > 0 } header)
        {
            request.Headers.Add("Cookie", header);
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var value in values)
            {
                jar.SetCookies(uri, value);
            }
        }
        return response;
    }
}
