using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.IdentitySources;

/// <summary>A place where a person can prove who they are: the built-in registry or an upstream OpenID provider.</summary>
public sealed class IdentitySource
{
    public const string RegistryId = "registry";

    /// <summary>Data-protection purpose of <see cref="ProtectedClientSecret"/>; whoever signs in at the source unprotects with it.</summary>
    public const string ClientSecretPurpose = "IdentityHub.IdentitySources.ClientSecret";

    /// <summary>Also a path segment of the callback <c>{issuer}/signin/{id}</c> registered at the source.</summary>
    public required string Id { get; set; }
    public required string DisplayName { get; set; }
    public IdentitySourceKind Kind { get; set; }

    /// <summary>The highest level of assurance this source can reach.</summary>
    public required string Acr { get; set; }

    public SourceSubjects Subjects { get; set; } = SourceSubjects.Individuals;

    /// <summary>A disabled source keeps its settings but is offered to nobody.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The upstream issuer, whose discovery document the hub reads; oidc sources only.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The hub's client id at the upstream provider; oidc sources only.</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// The hub's client secret at the upstream provider, protected with purpose <see cref="ClientSecretPurpose"/>:
    /// a database dump alone does not reveal it. Never returned by the API.
    /// </summary>
    public string? ProtectedClientSecret { get; set; }

    /// <summary><c>client_secret_basic</c>, <c>client_secret_post</c> or <c>private_key_jwt</c>; oidc sources only.</summary>
    public string? TokenEndpointAuthMethod { get; set; }

    /// <summary>Scopes the hub asks the upstream provider for, <c>openid</c> among them; empty for the registry.</summary>
    public IReadOnlyList<string> Scopes { get; set; } = [];

    /// <summary>Hub claim (one of <c>ScopesAndClaims.MappableClaims</c>) → the source's claim carrying it, where the names differ.</summary>
    public IReadOnlyDictionary<string, string> ClaimMappings { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum IdentitySourceKind
{
    Registry,
    Oidc,
}

public enum SourceSubjects
{
    Individuals,
    Enterprises,
    Both,
}

internal sealed class IdentitySourceConfiguration : IEntityTypeConfiguration<IdentitySource>
{
    public void Configure(EntityTypeBuilder<IdentitySource> builder)
    {
        builder.ToTable("IdentitySources");
        builder.Property(s => s.Id).HasMaxLength(64);
        builder.Property(s => s.DisplayName).HasMaxLength(200);
        builder.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Acr).HasMaxLength(16);
        builder.Property(s => s.Subjects).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Authority).HasMaxLength(2000);
        builder.Property(s => s.ClientId).HasMaxLength(200);
        builder.Property(s => s.ProtectedClientSecret).HasMaxLength(2000);
        builder.Property(s => s.TokenEndpointAuthMethod).HasMaxLength(32);
        // Plain strings rather than provider-specific arrays or JSON columns: one schema for SQLite and PostgreSQL.
        builder.Property(s => s.Scopes).HasMaxLength(1000).HasConversion(
            v => string.Join(' ', v),
            v => StoredValues.SplitScopes(v),
            new ValueComparer<IReadOnlyList<string>>((a, b) => a!.SequenceEqual(b!), v => StoredValues.Hash(v), v => v.ToList()));
        builder.Property(s => s.ClaimMappings).HasConversion(
            v => StoredValues.ToJson(v),
            v => StoredValues.FromJson(v),
            new ValueComparer<IReadOnlyDictionary<string, string>>((a, b) => StoredValues.ToJson(a!) == StoredValues.ToJson(b!), v => StoredValues.ToJson(v).GetHashCode(StringComparison.Ordinal), v => StoredValues.FromJson(StoredValues.ToJson(v))));
    }

    /// <summary>Expression trees allow neither optional arguments nor collection expressions; these methods hold them.</summary>
    private static class StoredValues
    {
        public static List<string> SplitScopes(string value) => [.. value.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        public static int Hash(IReadOnlyList<string> values) => values.Aggregate(0, (hash, value) => HashCode.Combine(hash, value.GetHashCode(StringComparison.Ordinal)));

        public static string ToJson(IReadOnlyDictionary<string, string> mappings) =>
            JsonSerializer.Serialize(mappings.OrderBy(m => m.Key, StringComparer.Ordinal).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal));

        // An empty column (a row older than the column) means no mappings.
        public static Dictionary<string, string> FromJson(string value) =>
            string.IsNullOrEmpty(value) ? new(StringComparer.Ordinal) : new(JsonSerializer.Deserialize<Dictionary<string, string>>(value) ?? [], StringComparer.Ordinal);
    }
}
