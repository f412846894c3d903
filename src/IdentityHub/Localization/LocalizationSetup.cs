using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace IdentityHub.Localization;

/// <summary>Vietnamese by default, English and French on request (query, cookie set from ui_locales, browser).</summary>
internal static class LocalizationSetup
{
    public static readonly string[] SupportedCultures = ["vi", "en", "fr"];

    public static WebApplicationBuilder AddHubLocalization(this WebApplicationBuilder builder)
    {
        builder.Services.AddLocalization(options => options.ResourcesPath = "Resources");
        builder.Services.Configure<RequestLocalizationOptions>(options =>
        {
            var cultures = SupportedCultures.Select(c => new CultureInfo(c)).ToList();
            options.DefaultRequestCulture = new RequestCulture("vi");
            options.SupportedCultures = cultures;
            options.SupportedUICultures = cultures;
            options.FallBackToParentCultures = true;
            options.FallBackToParentUICultures = true;
            options.RequestCultureProviders =
            [
                new QueryStringRequestCultureProvider(),
                new CookieRequestCultureProvider(),
                new AcceptLanguageHeaderRequestCultureProvider(),
            ];
        });
        return builder;
    }

    /// <summary><c>ui_locales</c> (OIDC Core 3.1.2.1): the first supported language wins for the hub's pages of this login.</summary>
    public static void RememberUiLocales(HttpContext http, string? uiLocales)
    {
        var culture = uiLocales?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(tag => tag.Split('-')[0].ToLowerInvariant())
            .FirstOrDefault(SupportedCultures.Contains);
        if (culture is not null)
        {
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, IsEssential = true });
        }
    }
}
