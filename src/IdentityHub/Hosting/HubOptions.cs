using System.ComponentModel.DataAnnotations;

namespace IdentityHub.Hosting;

/// <summary>Everything under the <c>Hub</c> configuration section (CONTRACT section 1).</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>Issuer published in discovery and tokens; defaults to the first listen address.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>Refuse plain-HTTP protocol requests; defaults to true outside Development.</summary>
    public bool? RequireHttps { get; set; }

    [Required]
    public DatabaseOptions Database { get; set; } = new();

    public SeedOptions Seed { get; set; } = new();

    public DataProtectionSettings DataProtection { get; set; } = new();

    public SubjectOptions Subjects { get; set; } = new();

    public BootstrapOptions Bootstrap { get; set; } = new();

    public FederationOptions Federation { get; set; } = new();
}

public sealed class FederationOptions
{
    /// <summary>How long the hub waits for an upstream source (discovery, token, userinfo) before giving up.</summary>
    [Range(1, 120)]
    public int TimeoutSeconds { get; set; } = 10;
}

public sealed class BootstrapOptions
{
    /// <summary>When set, the confidential client <c>hub-admin</c> (client_credentials, scope <c>hub.admin</c>) is created or updated at start-up with this secret.</summary>
    public string? AdminClientSecret { get; set; }
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}

public sealed class SeedOptions
{
    /// <summary>Seed the demo data of CONTRACT section 7; defaults to true in Development only.</summary>
    public bool? Demo { get; set; }
}

public enum DataProtectionStore
{
    Database,
    FileSystem,
}

public sealed class DataProtectionSettings
{
    public DataProtectionStore Store { get; set; } = DataProtectionStore.Database;

    /// <summary>Folder of the key ring when <see cref="Store"/> is <c>FileSystem</c>.</summary>
    public string Path { get; set; } = "keys";
}

public sealed class SubjectOptions
{
    /// <summary>
    /// Base64 key (at least 32 bytes) of the keyed hash behind pairwise <c>sub</c> values. A deployment secret:
    /// changing it changes every person's identifier at every service. Generated and kept in the database
    /// when absent in Development; required elsewhere.
    /// </summary>
    public string? PairwiseKey { get; set; }
}
