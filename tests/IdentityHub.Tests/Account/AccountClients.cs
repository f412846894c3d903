using IdentityHub.Data;
using IdentityHub.Protocol;
using IdentityHub.Sessions;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace IdentityHub.Tests.Account;

/// <summary>What the dashboard's tests share: services registered for one test, a person's rows, a page's forms.</summary>
internal static class AccountClients
{
    /// <summary>
    /// A confidential service of its own sector, allowed profile and birth, with consent <c>implicit</c> (no consent page
    /// between the login and the code), a display name in English (the default) and in French.
    /// </summary>
    public static async Task<OidcClient> RegisterAsync(HubFactory hub, string name, string? backchannelUri = null)
    {
        var clientId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var sector = clientId + ".example";
        var client = new OidcClient(clientId, clientId + "-secret-0123456789abcdef", $"https://{sector}/signin-oidc");
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = clientId + "-secret-0123456789abcdef",
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = name,
            RedirectUris = { new Uri(client.RedirectUri) },
        };
        descriptor.DisplayNames[System.Globalization.CultureInfo.GetCultureInfo("fr")] = name + " (fr)";
        descriptor.Permissions.UnionWith(["ept:authorization", "ept:token", "ept:end_session", "gt:authorization_code", "rst:code", "scp:profile", "scp:birth"]);
        await hub.RegisterClientAsync(descriptor, sector, ConsentMode.Implicit, backchannelUri);
        return client;
    }

    public static async Task<Guid> PersonIdAsync(HubFactory hub, string username)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        return await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PersonId).SingleAsync();
    }

    public static async Task<List<T>> RowsAsync<T>(HubFactory hub, Func<HubDbContext, IQueryable<T>> query)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<HubDbContext>()).ToListAsync();
    }

    public static Task<List<HubSession>> SessionsAsync(HubFactory hub, Guid personId) =>
        RowsAsync(hub, db => db.HubSessions.AsNoTracking().Where(s => s.PersonId == personId));

    public static Task<List<ConnectionRecord>> HistoryAsync(HubFactory hub, Guid personId) =>
        RowsAsync(hub, db => db.ConnectionHistory.AsNoTracking().Where(r => r.PersonId == personId).OrderBy(r => r.Id));

    /// <summary>A browser signed in at the hub for <c>/account</c> with a password, showing the dashboard.</summary>
    public static async Task<(Browser Browser, Browser.Page Dashboard)> SignedInAsync(HubFactory hub, string username, string password = RegistryPeople.Password)
    {
        var browser = hub.CreateBrowser();
        browser.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var signIn = await browser.NavigateAsync("/account");
        Assert.StartsWith("/registry/signin", signIn.Url, StringComparison.Ordinal);
        var dashboard = await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = password });
        Assert.Equal("/account", dashboard.Url);
        return (browser, dashboard);
    }

    public static async Task<int> PasskeyCountAsync(HubFactory hub, Guid personId)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().Passkeys.CountAsync(p => p.PersonId == personId);
    }

    /// <summary>
    /// The page reduced to the <paramref name="index"/>-th form whose handler is <paramref name="handler"/>, for
    /// <see cref="Browser.SubmitAsync"/>.
    /// </summary>
    public static Browser.Page FormOf(Browser.Page page, string handler, int index = 0)
    {
        var marker = $"handler={handler}\"";
        var at = -1;
        for (var i = 0; i <= index; i++)
        {
            at = page.Html.IndexOf(marker, at + 1, StringComparison.Ordinal);
            Assert.True(at >= 0, $"The page has no {handler} form number {index}.");
        }
        var start = page.Html.LastIndexOf("<form", at, StringComparison.Ordinal);
        return page with { Html = page.Html[start..(page.Html.IndexOf("</form>", at, StringComparison.Ordinal) + 7)] };
    }
}
