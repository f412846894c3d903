using System.Net;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>
/// A browser without JavaScript for servers on real loopback ports: keeps cookies per host, follows redirects
/// across hosts (hub, upstream source), and stops before leaving for a URL the test wants to inspect.
/// </summary>
public sealed class LiveBrowser : IDisposable
{
    private readonly HttpClient _client = new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Agrees on the hub's consent page whenever a login shows it, as <see cref="Browser.AgreeToConsent"/> does.</summary>
    public bool AgreeToConsent { get; init; } = true;

    /// <summary>Follows redirects until a page, or until the next location satisfies <paramref name="stopAt"/>.</summary>
    public async Task<Browser.Page> NavigateAsync(string url, Func<string, bool>? stopAt = null, int maxRedirects = 15)
    {
        var page = await GetAsync(url);
        for (var i = 0; i < maxRedirects && page.IsRedirect && !(stopAt?.Invoke(page.Location!) ?? false); i++)
        {
            page = await GetAsync(page.Location!);
        }
        return AgreeToConsent && page.IsConsent ? await SubmitAsync(page, new() { ["decision"] = "continue" }, stopAt) : page;
    }

    /// <summary>Submits the page's first form with its hidden fields plus <paramref name="values"/>, then follows redirects.</summary>
    public async Task<Browser.Page> SubmitAsync(Browser.Page page, Dictionary<string, string> values, Func<string, bool>? stopAt = null)
    {
        var fields = page.HiddenFields();
        foreach (var (name, value) in values)
        {
            fields[name] = value;
        }
        var action = new Uri(new Uri(page.Url), WebUtility.HtmlDecode(page.FormAction() ?? page.Url));
        var result = await Read(await _client.PostAsync(action, new FormUrlEncodedContent(fields)));
        return result.IsRedirect && !(stopAt?.Invoke(result.Location!) ?? false) ? await NavigateAsync(result.Location!, stopAt) : result;
    }

    public async Task<Browser.Page> GetAsync(string url) => await Read(await _client.GetAsync(url));

    private static async Task<Browser.Page> Read(HttpResponseMessage response)
    {
        using (response)
        {
            var requested = response.RequestMessage!.RequestUri!;
            var location = response.Headers.Location is { } l ? new Uri(requested, l).AbsoluteUri : null;
            return new Browser.Page(response.StatusCode, requested.AbsoluteUri, location, await response.Content.ReadAsStringAsync());
        }
    }

    public void Dispose() => _client.Dispose();
}
