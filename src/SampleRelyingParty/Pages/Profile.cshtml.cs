using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleRelyingParty.Authentication;

namespace SampleRelyingParty.Pages;

[Authorize]
public sealed class ProfileModel : PageModel
{
    public IReadOnlyList<Claim> Claims { get; private set; } = [];
    public string? Subject { get; private set; }
    public string? LevelOfAssurance { get; private set; }
    public string? IdentitySource { get; private set; }
    public DateTimeOffset? AuthenticatedAt { get; private set; }
    public bool HasIdToken { get; private set; }
    public bool HasAccessToken { get; private set; }
    public bool HasRefreshToken { get; private set; }
    public DateTimeOffset? AccessTokenExpiresAt { get; private set; }

    /// <summary>The enterprise the person acts for, from the hub's enterprise claims; null as an individual.</summary>
    public ActingFor? Enterprise { get; private set; }

    /// <summary>The person's declared income, read from the tax office with the access token the hub issued for it.</summary>
    public DeclaredIncome Income { get; private set; } = new(DataOutcome.NotConfigured);

    public async Task OnGetAsync()
    {
        Claims = [.. User.Claims];
        Subject = User.FindFirst("sub")?.Value;
        LevelOfAssurance = User.FindFirst("acr")?.Value;
        IdentitySource = User.FindFirst("idp_id")?.Value;
        if (User.FindFirst("enterprise_id")?.Value is { } enterpriseId)
        {
            Enterprise = new ActingFor(enterpriseId, User.FindFirst("enterprise_name")?.Value ?? enterpriseId, User.FindFirst("enterprise_role")?.Value,
                User.FindFirst("enterprise_source")?.Value ?? "not given");
        }
        if (long.TryParse(User.FindFirst("auth_time")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var authTime))
        {
            AuthenticatedAt = DateTimeOffset.FromUnixTimeSeconds(authTime);
        }

        // The tokens live in the cookie's authentication properties (SaveTokens); only their presence is shown.
        var properties = (await HttpContext.AuthenticateAsync()).Properties;
        HasIdToken = properties?.GetTokenValue("id_token") is not null;
        HasAccessToken = properties?.GetTokenValue("access_token") is not null;
        HasRefreshToken = properties?.GetTokenValue("refresh_token") is not null;
        if (DateTimeOffset.TryParse(properties?.GetTokenValue("expires_at"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var expiresAt))
        {
            AccessTokenExpiresAt = expiresAt;
        }
        Income = await HttpContext.RequestServices.GetRequiredService<DataRecords>().FetchAsync(properties?.GetTokenValue("access_token"), HttpContext.RequestAborted);
    }

    public static string Utc(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}

/// <summary>What the hub's <c>enterprise</c> scope says of whom the person acts for.</summary>
public sealed record ActingFor(string Id, string Name, string? Role, string Source);
