using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.IdentitySources;

/// <summary>The national registry, the hub's built-in identity source: always present, created on first start.</summary>
internal sealed class RegistrySource(IServiceProvider services) : StartupTask
{
    /// <summary>What a registry password alone reaches (docs/integration.md, "Levels of assurance").</summary>
    public const string PasswordLevel = AssuranceLevels.Low;

    /// <summary>What a password with an authenticator code, or a passkey with user verification, reaches.</summary>
    public const string SecondFactorLevel = AssuranceLevels.Substantial;

    public override async Task StartingAsync(CancellationToken cancellationToken)
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
            // The highest level it can reach (with a second factor); a password alone yields PasswordLevel.
            Acr = SecondFactorLevel,
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
