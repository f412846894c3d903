using System.Security.Cryptography;
using IdentityHub.Data;
using IdentityHub.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityHub.Subjects;

/// <summary><c>Hub:Subjects</c>: the secret behind pairwise subjects.</summary>
public sealed class SubjectOptions
{
    public const string Section = "Hub:Subjects";

    /// <summary>
    /// Base64 key (at least 32 bytes) of the keyed hash behind pairwise <c>sub</c> values. A deployment secret:
    /// changing it changes every person's identifier at every service. Generated and kept in the database
    /// when absent in Development; required elsewhere.
    /// </summary>
    public string? PairwiseKey { get; set; }
}

internal static class SubjectsSetup
{
    public static WebApplicationBuilder AddSubjects(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SubjectOptions>().BindConfiguration(SubjectOptions.Section);
        builder.Services.AddSingleton(LoadPairwiseKey);
        builder.Services.AddScoped<PairwiseSubjects>();
        builder.Services.AddScoped<Reconciliation>();
        builder.Services.AddHostedService<PairwiseKeyCheck>();
        return builder;
    }

    /// <summary>
    /// The pairwise-subject key comes from configuration. Only in Development may the hub make one up, and
    /// then it keeps it in the database (protected) so every instance and every restart derives the same subjects.
    /// </summary>
    private static PairwiseKey LoadPairwiseKey(IServiceProvider services)
    {
        var configured = services.GetRequiredService<IOptions<SubjectOptions>>().Value.PairwiseKey;
        if (!string.IsNullOrEmpty(configured))
        {
            var key = Convert.FromBase64String(configured);
            return key.Length >= 32 ? new PairwiseKey(key)
                : throw new OptionsValidationException(SubjectOptions.Section, typeof(SubjectOptions), ["Hub:Subjects:PairwiseKey must be at least 32 bytes, base64-encoded."]);
        }
        if (!services.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            throw new OptionsValidationException(SubjectOptions.Section, typeof(SubjectOptions),
                ["Hub:Subjects:PairwiseKey (Hub__Subjects__PairwiseKey) is required outside Development: 32 random bytes, base64-encoded."]);
        }

        const string name = "pairwise-subject-key";
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector("IdentityHub.DeploymentSecrets");
        var stored = db.DeploymentSecrets.AsNoTracking().FirstOrDefault(s => s.Name == name);
        if (stored is null)
        {
            db.DeploymentSecrets.Add(new DeploymentSecret
            {
                Name = name,
                ProtectedValue = Convert.ToBase64String(protector.Protect(RandomNumberGenerator.GetBytes(32))),
                CreatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow(),
            });
            try
            {
                db.SaveChanges();
            }
            catch (DbUpdateException)
            {
                // Another instance stored one first.
            }
            db.ChangeTracker.Clear();
            stored = db.DeploymentSecrets.AsNoTracking().First(s => s.Name == name);
        }
        return new PairwiseKey(protector.Unprotect(Convert.FromBase64String(stored.ProtectedValue)));
    }

    /// <summary>Fails the start, not the first login, when the key is missing or too short (after the schema is up).</summary>
    private sealed class PairwiseKeyCheck(IServiceProvider services) : StartupTask
    {
        public override Task StartingAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<PairwiseKey>();
            return Task.CompletedTask;
        }
    }
}
