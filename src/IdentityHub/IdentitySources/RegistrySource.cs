using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.IdentitySources;

internal static class RegistrySource
{
    /// <summary>The national registry is always an identity source; it is created on first start.</summary>
    public static async Task EnsureAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        if (await db.IdentitySources.AnyAsync(s => s.Id == IdentitySource.RegistryId, cancellationToken))
        {
            return;
        }
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        db.IdentitySources.Add(new IdentitySource
        {
            Id = IdentitySource.RegistryId,
            DisplayName = "Cơ sở dữ liệu quốc gia về dân cư",
            Kind = IdentitySourceKind.Registry,
            // The highest level it can reach (with TOTP); a password alone yields eidas1.
            Acr = AssuranceLevels.Substantial,
            Subjects = SourceSubjects.Both,
            CreatedAt = now,
            UpdatedAt = now,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another instance created it at the same moment; anything else fails the check below.
            db.ChangeTracker.Clear();
            if (!await db.IdentitySources.AnyAsync(s => s.Id == IdentitySource.RegistryId, cancellationToken))
            {
                throw;
            }
        }
    }
}
