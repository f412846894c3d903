using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.IdentitySources;

/// <summary>
/// Every identity source, read once and kept until one of them changes on any instance (<see cref="SettingsChanges"/>):
/// a login otherwise reads the sources three or four times. The rows are shared between requests: read them, never
/// change them (the admin API changes sources through its own tracked query).
/// </summary>
public sealed class SourceList(SettingsChanges changes)
{
    private readonly SettingsChanges.Kept<IReadOnlyList<IdentitySource>> kept = new(changes);

    public Task<IReadOnlyList<IdentitySource>> AllAsync(HubDbContext db, CancellationToken cancellationToken) =>
        kept.GetAsync(async ct => await db.IdentitySources.AsNoTracking().OrderBy(s => s.Id).ToListAsync(ct), cancellationToken);
}
