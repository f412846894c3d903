using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace IdentityHub.Hosting;

/// <summary>
/// The hub-wide part of the <c>Hub</c> configuration section (docs/integration.md, "Configuration and operations"):
/// issuer, transport, database, demo data, key ring. Each feature binds its own sub-section with its own options.
/// </summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>
    /// Issuer published in discovery and tokens, exactly as written (a string, so that no slash is added);
    /// defaults to the first listen address.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Refuse plain-HTTP protocol requests; defaults to true outside Development.</summary>
    public bool? RequireHttps { get; set; }

    [Required]
    [ValidateObjectMembers]
    public DatabaseOptions Database { get; set; } = new();

    public SeedOptions Seed { get; set; } = new();

    [ValidateObjectMembers]
    public DataProtectionSettings DataProtection { get; set; } = new();
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed class DatabaseOptions
{
    [EnumDataType(typeof(DatabaseProvider))]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}

public sealed class SeedOptions
{
    /// <summary>Seed the demo data (docs/integration.md); defaults to true in Development only.</summary>
    public bool? Demo { get; set; }
}

public enum DataProtectionStore
{
    Database,
    FileSystem,
}

public sealed class DataProtectionSettings
{
    [EnumDataType(typeof(DataProtectionStore))]
    public DataProtectionStore Store { get; set; } = DataProtectionStore.Database;

    /// <summary>Folder of the key ring when <see cref="Store"/> is <c>FileSystem</c>.</summary>
    [Required]
    public string Path { get; set; } = "keys";
}

/// <summary>
/// Checks the data annotations of the options and, through <see cref="ValidateObjectMembersAttribute"/>, of every
/// nested options object, which <c>ValidateDataAnnotations</c> alone never looks into (generated at compile time).
/// </summary>
[OptionsValidator]
public sealed partial class HubOptionsValidator : IValidateOptions<HubOptions>;

/// <summary>One way every feature registers its options: bound to its section, validated in depth, checked at start-up.</summary>
public static class HubOptionsRegistration
{
    public static OptionsBuilder<T> AddValidatedOptions<T, TValidator>(this IServiceCollection services, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.AddSingleton<IValidateOptions<T>, TValidator>();
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }
}
