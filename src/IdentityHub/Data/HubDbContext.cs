using IdentityHub.Audit;
using IdentityHub.Consent;
using IdentityHub.DataSharing;
using IdentityHub.Enterprises;
using IdentityHub.IdentitySources;
using IdentityHub.Login;
using IdentityHub.Protocol;
using IdentityHub.Registry;
using IdentityHub.Sessions;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IdentityHub.Data;

/// <summary>The hub's only database context; OpenIddict's applications, authorizations and tokens live here too.</summary>
public sealed class HubDbContext(DbContextOptions<HubDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Person> People => Set<Person>();
    public DbSet<SubjectIdentifier> SubjectIdentifiers => Set<SubjectIdentifier>();
    public DbSet<RegistryAccount> RegistryAccounts => Set<RegistryAccount>();
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<SignInThrottle> SignInThrottles => Set<SignInThrottle>();
    public DbSet<SecondFactorChallenge> SecondFactorChallenges => Set<SecondFactorChallenge>();
    public DbSet<Passkey> Passkeys => Set<Passkey>();
    public DbSet<PasskeyCeremony> PasskeyCeremonies => Set<PasskeyCeremony>();
    public DbSet<IdentitySource> IdentitySources => Set<IdentitySource>();
    public DbSet<Enterprise> Enterprises => Set<Enterprise>();
    public DbSet<Representative> Representatives => Set<Representative>();
    public DbSet<RelyingParty> RelyingParties => Set<RelyingParty>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<DeploymentSecret> DeploymentSecrets => Set<DeploymentSecret>();
    public DbSet<LoginJourney> LoginJourneys => Set<LoginJourney>();
    public DbSet<HubSession> HubSessions => Set<HubSession>();
    public DbSet<SessionParticipant> SessionParticipants => Set<SessionParticipant>();
    public DbSet<BackchannelLogout> BackchannelLogouts => Set<BackchannelLogout>();
    public DbSet<ConsentRecord> Consents => Set<ConsentRecord>();
    public DbSet<ConnectionRecord> ConnectionHistory => Set<ConnectionRecord>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<ArchivedAuditEvent> ArchivedAuditEvents => Set<ArchivedAuditEvent>();
    public DbSet<AuditChainHead> AuditChainHeads => Set<AuditChainHead>();
    public DbSet<DataProvider> DataProviders => Set<DataProvider>();
    public DbSet<DataRelease> DataReleases => Set<DataRelease>();

    private bool? postgres;

    /// <summary>
    /// <c>Database.IsNpgsql()</c>, asked once per context: it reads the provider's assembly name on every call, and the
    /// token store asks on every token it writes. Every provider-specific path of the hub asks here; a pooled context
    /// keeps its options, so the answer stays true.
    /// </summary>
    internal bool IsPostgres => postgres ??= Database.IsNpgsql();

    /// <summary>
    /// <paramref name="value"/> as the column of <paramref name="property"/> stores it, for a parameter of raw SQL: an
    /// enum as its name, a DateTimeOffset as ticks on SQLite (<see cref="ConfigureConventions"/>), anything else as is.
    /// </summary>
    internal object Stored<TEntity>(string property, object value) =>
        Model.FindEntityType(typeof(TEntity))?.FindProperty(property)?.GetTypeMapping().Converter is { } converter
            ? converter.ConvertToProvider(value) ?? value
            : value;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(HubDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; storing UTC ticks keeps both providers identical.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }
}
