using System.Globalization;
using System.Text.Json;
using IdentityHub.Audit;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdentityHub.DataSharing;

/// <summary>
/// The data providers and their data scopes as the login and the protocol need them (docs/design.md, "Data sharing"):
/// which scopes of a request are data scopes and whose, which provider a resource or a client id is, and the record
/// of each release to a provider.
/// </summary>
public sealed class DataProviders(HubDbContext db, AuditLog audit, TimeProvider time)
{
    /// <summary>
    /// The property of a provider's OpenIddict application that says it is one: read from the cache of clients, so an
    /// introspection by a service costs no query to tell it is not a provider's.
    /// </summary>
    public const string ApplicationProperty = "data_provider";

    /// <summary>A provider's credentials: they open the introspection endpoint, and nothing else (no grant, no login).</summary>
    public static OpenIddictApplicationDescriptor CredentialsDescriptor(string id, string secret, string displayName)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = id,
            ClientSecret = secret,
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = displayName,
        };
        descriptor.Permissions.Add(OpenIddictConstants.Permissions.Endpoints.Introspection);
        descriptor.Properties[ApplicationProperty] = JsonSerializer.SerializeToElement(true);
        return descriptor;
    }

    /// <summary>A data scope as OpenIddict keeps it: its words by language, and the provider's resource as its only resource.</summary>
    public static OpenIddictScopeDescriptor ScopeDescriptor(string name, string vi, string en, string fr, string resource)
    {
        var descriptor = new OpenIddictScopeDescriptor { Name = name, Description = en, DisplayName = en };
        descriptor.Descriptions[CultureInfo.GetCultureInfo("vi")] = vi;
        descriptor.Descriptions[CultureInfo.GetCultureInfo("en")] = en;
        descriptor.Descriptions[CultureInfo.GetCultureInfo("fr")] = fr;
        descriptor.Resources.Add(resource);
        return descriptor;
    }

    /// <summary>The data scopes among <paramref name="names"/> (names the hub serves itself are never asked about), with their provider.</summary>
    public async Task<IReadOnlyList<DataScope>> ScopesAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        var wanted = names.Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
        {
            return [];
        }
        var rows = await db.Set<OpenIddictEntityFrameworkCoreScope>().AsNoTracking().Where(s => wanted.Contains(s.Name!))
            .Select(s => new { s.Name, s.Resources, s.Descriptions }).ToListAsync(cancellationToken);
        var resources = rows.Select(r => DataScope.ResourceOf(r.Resources)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (resources.Count == 0)
        {
            return [];
        }
        var providers = await db.DataProviders.AsNoTracking().Where(p => resources.Contains(p.Resource)).ToDictionaryAsync(p => p.Resource, StringComparer.Ordinal, cancellationToken);
        return [.. rows.Where(r => DataScope.ResourceOf(r.Resources) is { } resource && providers.ContainsKey(resource))
            .Select(r => new DataScope(r.Name!, providers[DataScope.ResourceOf(r.Resources)!], DataScope.DescriptionsOf(r.Descriptions)))];
    }

    /// <summary>The scopes of every provider, for the services' permissions and the admin API.</summary>
    public async Task<IReadOnlyList<DataScope>> AllScopesAsync(CancellationToken cancellationToken)
    {
        var names = await db.Set<OpenIddictEntityFrameworkCoreScope>().AsNoTracking().Select(s => s.Name!).ToListAsync(cancellationToken);
        return await ScopesAsync(names, cancellationToken);
    }

    public Task<DataProvider?> ByResourceAsync(string resource, CancellationToken cancellationToken) =>
        db.DataProviders.AsNoTracking().FirstOrDefaultAsync(p => p.Resource == resource, cancellationToken);

    /// <summary>The provider whose credentials a client id is; null for a service or any other client.</summary>
    public Task<DataProvider?> ByClientIdAsync(string? clientId, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(clientId) ? Task.FromResult<DataProvider?>(null)
            : db.DataProviders.AsNoTracking().FirstOrDefaultAsync(p => p.Id == clientId, cancellationToken);

    /// <summary>Whether any of <paramref name="audiences"/> is a provider's resource.</summary>
    public async Task<bool> AnyResourceAsync(IReadOnlyCollection<string> audiences, CancellationToken cancellationToken) =>
        audiences.Count > 0 && await db.DataProviders.AnyAsync(p => audiences.Contains(p.Resource), cancellationToken);

    /// <summary>
    /// Records that <paramref name="provider"/> was told, about the person, that the service may read
    /// <paramref name="scopes"/>: a line of the person's dashboard and a <c>data.released</c> event, in one commit.
    /// </summary>
    public async Task RecordReleaseAsync(DataProvider provider, Guid personId, string clientId, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        var joined = string.Join(' ', scopes);
        db.DataReleases.Add(new DataRelease
        {
            PersonId = personId,
            ProviderId = provider.Id,
            ProviderName = provider.DisplayName,
            ClientId = clientId,
            Scopes = joined,
            At = time.GetUtcNow(),
        });
        audit.Add(new AuditEntry(AuditTypes.DataReleased)
        {
            Actor = AuditEntry.ClientRef(provider.Id),
            Subject = AuditEntry.Person(personId),
            Client = clientId,
            Detail = $"{provider.Id}: {joined}",
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The person's most recent releases, newest first, with each scope's words in <paramref name="culture"/> when the provider still serves it.</summary>
    public async Task<IReadOnlyList<ReleaseLine>> ReleasesAsync(Guid personId, int count, CultureInfo culture, CancellationToken cancellationToken)
    {
        var rows = await db.DataReleases.AsNoTracking().Where(r => r.PersonId == personId).OrderByDescending(r => r.Id).Take(count).ToListAsync(cancellationToken);
        var scopes = (await ScopesAsync(rows.SelectMany(r => r.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries)), cancellationToken))
            .ToDictionary(s => s.Name, StringComparer.Ordinal);
        return [.. rows.Select(r => new ReleaseLine(r.ProviderName, r.ClientId,
            [.. r.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => scopes.TryGetValue(s, out var scope) ? scope.Description(culture) : s)], r.At))];
    }
}

/// <summary>A data scope: its name, its provider, and what it releases in words, by language (<c>vi</c>, <c>en</c>, <c>fr</c>).</summary>
public sealed record DataScope(string Name, DataProvider Provider, IReadOnlyDictionary<string, string> Descriptions)
{
    public const string DefaultLanguage = "vi";

    /// <summary>The words for <paramref name="culture"/>'s language, else Vietnamese, else the scope's name.</summary>
    public string Description(CultureInfo culture) =>
        Descriptions.GetValueOrDefault(culture.TwoLetterISOLanguageName) ?? Descriptions.GetValueOrDefault(DefaultLanguage) ?? Name;

    /// <summary>The single resource of a data scope's OpenIddict row (a JSON array), or null.</summary>
    internal static string? ResourceOf(string? resources)
    {
        if (string.IsNullOrEmpty(resources))
        {
            return null;
        }
        var values = JsonSerializer.Deserialize<string[]>(resources);
        return values is [var only] ? only : null;
    }

    internal static IReadOnlyDictionary<string, string> DescriptionsOf(string? descriptions) =>
        string.IsNullOrEmpty(descriptions) ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(descriptions) ?? [];
}

/// <summary>One line of "Data shared between agencies".</summary>
public sealed record ReleaseLine(string ProviderName, string ClientId, IReadOnlyList<string> Data, DateTimeOffset At);
