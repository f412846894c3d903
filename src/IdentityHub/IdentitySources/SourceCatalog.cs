using IdentityHub.Data;
using IdentityHub.Login;
using IdentityHub.Registry;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.IdentitySources;

/// <summary>Which identity sources a login may be offered: enabled, and able to reach the level asked.</summary>
public sealed class SourceCatalog(HubDbContext db)
{
    public async Task<IReadOnlyList<IdentitySource>> OfferedAsync(string? askedAcr, CancellationToken cancellationToken)
    {
        var enabled = await db.IdentitySources.AsNoTracking().Where(s => s.Enabled).ToListAsync(cancellationToken);
        return [.. enabled
            .Where(s => AssuranceLevels.Satisfies(Reachable(s), askedAcr))
            .OrderBy(s => s.Kind)
            .ThenBy(s => s.DisplayName, StringComparer.CurrentCulture)];
    }

    /// <summary>
    /// The registry reaches its registered level only with a second factor; until then a password gives
    /// <see cref="PasswordSignIn.Level"/>. An upstream source reaches what it is registered for.
    /// </summary>
    public static string Reachable(IdentitySource source) =>
        source.Kind == IdentitySourceKind.Registry && AssuranceLevels.Rank(source.Acr) > AssuranceLevels.Rank(PasswordSignIn.Level)
            ? PasswordSignIn.Level
            : source.Acr;

    /// <summary>Where the browser goes to authenticate at <paramref name="source"/> for <paramref name="journey"/>.</summary>
    public static string StartUrl(IdentitySource source, LoginJourney journey) => source.Kind == IdentitySourceKind.Registry
        ? $"/registry/signin?journey={Uri.EscapeDataString(journey.Id)}"
        : $"/federation/{Uri.EscapeDataString(source.Id)}?journey={Uri.EscapeDataString(journey.Id)}";
}
