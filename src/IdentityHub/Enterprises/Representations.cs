using System.Text.Json;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Enterprises;

/// <summary>
/// An enterprise a person may act for in this login, and who vouched for it: the registry's record of mandates, or the
/// identity source registered for enterprises that asserted it (the <c>enterprise_source</c> claim).
/// </summary>
/// <param name="EnterpriseId">Its tax code (10 digits, or 10-3).</param>
/// <param name="Name">Its name, as the registry or the source knows it.</param>
/// <param name="Role">The person's mandate (<c>enterprise_role</c>), when known.</param>
/// <param name="Source">The identity source id of whoever vouched: the registry's, or the asserting source's.</param>
public sealed record ActingFor(string EnterpriseId, string Name, string? Role, string Source);

/// <summary>
/// Who a person may act for (docs/design.md, "Acting for an enterprise"): the registry's representatives, matched to
/// the person, and what the source of the session asserted at login. Nothing else is ever offered or trusted.
/// </summary>
public sealed class Representations(HubDbContext db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The enterprises the person may act for: the registry's mandates (vouched by <paramref name="registrySourceId"/>),
    /// then those <paramref name="sessionSourceId"/> asserted (<see cref="Serialize"/>d on the session), one entry per
    /// tax code, the registry's first; <paramref name="lastChosen"/> leads when it is among them.
    /// </summary>
    public async Task<IReadOnlyList<ActingFor>> OptionsAsync(Guid personId, string registrySourceId, string sessionSourceId, string? asserted, string? lastChosen,
        CancellationToken cancellationToken)
    {
        var options = await db.Representatives.AsNoTracking().Where(r => r.PersonId == personId)
            .Join(db.Enterprises, r => r.EnterpriseId, e => e.Id, (r, e) => new { e.Id, e.Name, r.Role })
            .OrderBy(e => e.Name).ThenBy(e => e.Id)
            .Select(e => new ActingFor(e.Id, e.Name, e.Role, registrySourceId))
            .ToListAsync(cancellationToken);
        foreach (var assertion in Deserialize(asserted))
        {
            if (!options.Any(o => o.EnterpriseId == assertion.EnterpriseId))
            {
                var name = assertion.Name ?? await db.Enterprises.AsNoTracking().Where(e => e.Id == assertion.EnterpriseId).Select(e => e.Name)
                    .FirstOrDefaultAsync(cancellationToken) ?? assertion.EnterpriseId;
                options.Add(new ActingFor(assertion.EnterpriseId, name, assertion.Role, sessionSourceId));
            }
        }
        return [.. options.OrderBy(o => o.EnterpriseId == lastChosen ? 0 : 1)];
    }

    /// <summary>A source's assertions, as the session keeps them (null for none).</summary>
    public static string? Serialize(IEnumerable<AssertedRepresentation> assertions) =>
        assertions.ToList() is { Count: > 0 } list ? JsonSerializer.Serialize(list, Json) : null;

    private static List<AssertedRepresentation> Deserialize(string? asserted)
    {
        if (string.IsNullOrEmpty(asserted))
        {
            return [];
        }
        try
        {
            // Only well-formed tax codes were kept when the source's claims were read (UpstreamIdentity).
            return JsonSerializer.Deserialize<List<AssertedRepresentation>>(asserted, Json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}

/// <summary>A source's statement at login that the person represents an enterprise (its tax code, name and the person's role).</summary>
public sealed record AssertedRepresentation(string EnterpriseId, string? Name, string? Role);
