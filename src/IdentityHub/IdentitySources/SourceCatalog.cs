using IdentityHub.Data;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.IdentitySources;

/// <summary>Which identity sources a login may be offered: enabled, and able to reach the level asked.</summary>
public sealed class SourceCatalog(HubDbContext db, SourceList sources)
{
    /// <param name="forEnterprises">
    /// The service serves only people acting for an enterprise: only sources that can authenticate representatives
    /// are offered, those registered for enterprises, and the registry when it records any representative.
    /// </param>
    public async Task<IReadOnlyList<IdentitySource>> OfferedAsync(string? askedAcr, CancellationToken cancellationToken, bool forEnterprises = false)
    {
        var enabled = (await sources.AllAsync(db, cancellationToken)).Where(s => s.Enabled).ToList();
        var registryRepresents = forEnterprises && await db.Representatives.AnyAsync(cancellationToken);
        return [.. enabled
            .Where(s => AssuranceLevels.Satisfies(Reachable(s), askedAcr) && (!forEnterprises || Represents(s, registryRepresents)))
            .OrderBy(s => s.Kind)
            .ThenBy(s => s.DisplayName, StringComparer.CurrentCulture)];
    }

    /// <summary>The source <paramref name="id"/> if it may be offered for <paramref name="askedAcr"/> (and <paramref name="forEnterprises"/>); null otherwise.</summary>
    public async Task<IdentitySource?> FindOfferedAsync(string id, string? askedAcr, CancellationToken cancellationToken, bool forEnterprises = false) =>
        (await sources.AllAsync(db, cancellationToken)).FirstOrDefault(s => s.Id == id && s.Enabled) is { } source
            && AssuranceLevels.Satisfies(Reachable(source), askedAcr)
            && (!forEnterprises || Represents(source, source.Kind == IdentitySourceKind.Registry && await db.Representatives.AnyAsync(cancellationToken)))
            ? source
            : null;

    private static bool Represents(IdentitySource source, bool registryRepresents) =>
        source.Subjects != SourceSubjects.Individuals && (source.Kind != IdentitySourceKind.Registry || registryRepresents);

    /// <summary>
    /// The registry reaches its registered level with a second factor, and never more than that: a password with an
    /// authenticator code or a passkey is <see cref="RegistrySource.SecondFactorLevel"/>. An upstream source reaches
    /// what it is registered for.
    /// </summary>
    public static string Reachable(IdentitySource source) =>
        source.Kind == IdentitySourceKind.Registry && AssuranceLevels.Rank(source.Acr) > AssuranceLevels.Rank(RegistrySource.SecondFactorLevel)
            ? RegistrySource.SecondFactorLevel
            : source.Acr;
}
