using System.Globalization;
using IdentityHub.Data;
using IdentityHub.DataSharing;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Admin;

/// <summary>
/// Registers data providers (docs/integration.md, "Data providers"): the hub's row, the OpenIddict application that
/// is the provider's credentials for introspection, and an OpenIddict scope per data scope, whose only resource is
/// the provider's, all written in one transaction.
/// </summary>
public sealed class DataProviderRegistry(HubDbContext db, IOpenIddictApplicationManager applications, IOpenIddictScopeManager scopeManager,
    DataProviders providers, IHostEnvironment environment, TimeProvider time)
{
    private const int MaxScopes = 20;
    private static readonly string[] Languages = ["vi", "en", "fr"];

    public async Task<IReadOnlyList<DataProviderResponse>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await db.DataProviders.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken);
        var scopes = await providers.AllScopesAsync(cancellationToken);
        return [.. rows.Select(r => ToResponse(r, scopes, null))];
    }

    public async Task<DataProviderResponse?> FindAsync(string id, CancellationToken cancellationToken) =>
        await db.DataProviders.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken) is { } row
            ? ToResponse(row, await providers.AllScopesAsync(cancellationToken), null)
            : null;

    public async Task<AdminResult<DataProviderResponse>> CreateAsync(DataProviderRequest request, CancellationToken cancellationToken)
    {
        var (errors, registration) = await ValidateAsync(request, pathId: null, cancellationToken);
        if (registration is null)
        {
            return AdminResult.Invalid<DataProviderResponse>(errors);
        }
        if (await applications.FindByClientIdAsync(registration.Id, cancellationToken) is not null)
        {
            return AdminResult.Conflict<DataProviderResponse>($"A client with id '{registration.Id}' already exists.");
        }
        var now = time.GetUtcNow();
        var row = new DataProvider { Id = registration.Id, DisplayName = registration.DisplayName, Resource = registration.Resource, CreatedAt = now };
        registration.Apply(row, now);
        var secret = RelyingPartyRegistry.NewSecret();
        var descriptor = DataProviders.CredentialsDescriptor(registration.Id, secret, registration.DisplayName);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await applications.CreateAsync(descriptor, cancellationToken);
            foreach (var scope in registration.Scopes)
            {
                await scopeManager.CreateAsync(ScopeDescriptor(scope, registration.Resource), cancellationToken);
            }
            db.DataProviders.Add(row);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is DbUpdateException or OpenIddictExceptions.ValidationException)
        {
            // A concurrent request took the id, a scope name or the resource first: its committed row says which.
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            if (await db.Set<OpenIddictEntityFrameworkCoreApplication>().AnyAsync(a => a.ClientId == registration.Id, cancellationToken))
            {
                return AdminResult.Conflict<DataProviderResponse>($"A client with id '{registration.Id}' already exists.");
            }
            if (await db.DataProviders.AnyAsync(p => p.Resource == registration.Resource, cancellationToken)
                || await db.Set<OpenIddictEntityFrameworkCoreScope>().AnyAsync(s => registration.ScopeNames.Contains(s.Name!), cancellationToken))
            {
                return AdminResult.Conflict<DataProviderResponse>("Another data provider registered the same resource or scope at the same time.");
            }
            throw;
        }
        return AdminResult.Saved(ToResponse(row, await providers.AllScopesAsync(cancellationToken), secret));
    }

    public async Task<AdminResult<DataProviderResponse>> ReplaceAsync(string id, DataProviderRequest request, CancellationToken cancellationToken)
    {
        var row = await db.DataProviders.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        var application = row is null ? null : await applications.FindByClientIdAsync(id, cancellationToken);
        if (row is null || application is null)
        {
            return AdminResult.NotFound<DataProviderResponse>();
        }
        var (errors, registration) = await ValidateAsync(request, id, cancellationToken);
        if (registration is null)
        {
            return AdminResult.Invalid<DataProviderResponse>(errors);
        }
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        descriptor.DisplayName = registration.DisplayName;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await applications.UpdateAsync(application, descriptor, cancellationToken);
        // The scopes are the request's: those left out go (a service allowed one can no longer get it), the others take
        // the new words and the resource, which may have changed too.
        var current = (await providers.AllScopesAsync(cancellationToken)).Where(s => s.Provider.Id == id).Select(s => s.Name).ToList();
        foreach (var name in current)
        {
            if (await scopeManager.FindByNameAsync(name, cancellationToken) is { } scope)
            {
                await scopeManager.DeleteAsync(scope, cancellationToken);
            }
        }
        foreach (var scope in registration.Scopes)
        {
            await scopeManager.CreateAsync(ScopeDescriptor(scope, registration.Resource), cancellationToken);
        }
        row.DisplayName = registration.DisplayName;
        row.Resource = registration.Resource;
        registration.Apply(row, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return AdminResult.Saved(ToResponse(row, await providers.AllScopesAsync(cancellationToken), null));
    }

    public async Task<AdminResult<DataProviderResponse>> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var row = await db.DataProviders.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null)
        {
            return AdminResult.NotFound<DataProviderResponse>();
        }
        var names = (await providers.AllScopesAsync(cancellationToken)).Where(s => s.Provider.Id == id).Select(s => s.Name).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Its credentials go, so it can introspect nothing more; a token issued for it is then nobody's to read.
        if (await applications.FindByClientIdAsync(id, cancellationToken) is { } application)
        {
            await applications.DeleteAsync(application, cancellationToken);
        }
        foreach (var name in names)
        {
            if (await scopeManager.FindByNameAsync(name, cancellationToken) is { } scope)
            {
                await scopeManager.DeleteAsync(scope, cancellationToken);
            }
        }
        db.DataProviders.Remove(row);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return AdminResult.Deleted<DataProviderResponse>();
    }

    private static OpenIddictScopeDescriptor ScopeDescriptor(DataScopeRequest scope, string resource) =>
        DataProviders.ScopeDescriptor(scope.Name!, scope.Description!.Vi!, scope.Description.En!, scope.Description.Fr!, resource);

    private static DataProviderResponse ToResponse(DataProvider row, IReadOnlyList<DataScope> scopes, string? secret) => new()
    {
        Id = row.Id,
        DisplayName = row.DisplayName,
        Resource = row.Resource,
        Scopes = [.. scopes.Where(s => s.Provider.Id == row.Id).OrderBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new DataScopeResponse(s.Name, new LocalizedText { Vi = s.Descriptions.GetValueOrDefault("vi"), En = s.Descriptions.GetValueOrDefault("en"), Fr = s.Descriptions.GetValueOrDefault("fr") }))],
        SubjectIdentifier = row.SubjectIdentifier == ProviderSubject.IdentityNumber ? "identity_number" : "pairwise",
        IdentityNumberEntitledAt = row.IdentityNumberEntitledAt,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        ClientSecret = secret,
    };

    private async Task<(ValidationErrors Errors, Registration? Registration)> ValidateAsync(DataProviderRequest request, string? pathId, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var id = request.Id?.Trim();
        if (pathId is not null && id is not null && id != pathId)
        {
            errors.Add("id", "The id in the body must match the one in the path.");
        }
        id ??= pathId;
        if (string.IsNullOrEmpty(id) || id.Length > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add("id", "Required: 1 to 100 letters, digits, '-', '_' or '.'.");
        }
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > 200)
        {
            errors.Add("displayName", "Required, at most 200 characters.");
        }
        // Kept exactly as written: it is compared character for character with the resource parameter and the aud claim.
        var resource = request.Resource;
        if (resource is null || resource.Length > 400 || errors.RequireRedirectableUri("resource", resource, environment.IsDevelopment()) is null)
        {
            if (!errors.Has("resource"))
            {
                errors.Add("resource", "Required: an absolute http(s) URI of at most 400 characters.");
            }
        }
        else if (await db.DataProviders.AnyAsync(p => p.Resource == resource && p.Id != id, cancellationToken))
        {
            errors.Add("resource", $"'{resource}' is the resource of another data provider.");
        }

        var subject = request.SubjectIdentifier ?? "pairwise";
        if (subject is not ("pairwise" or ScopesAndClaims.IdentityNumber))
        {
            errors.Add("subjectIdentifier", "Must be 'pairwise' or 'identity_number'.");
        }

        var scopes = request.Scopes ?? [];
        if (scopes.Count is 0 or > MaxScopes)
        {
            errors.Add("scopes", $"Between 1 and {MaxScopes} data scopes.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scope in scopes)
        {
            var name = scope?.Name;
            if (string.IsNullOrEmpty(name) || name.Length > 100 || !char.IsAsciiLetterLower(name[0])
                || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.' or '-' or ':'))
            {
                errors.Add("scopes", $"'{name}': a scope name is 1 to 100 lower-case letters, digits, '_', '.', '-' or ':', starting with a letter.");
                continue;
            }
            if (ScopesAndClaims.Names.Contains(name) || name == AdminSetup.Scope)
            {
                errors.Add("scopes", $"'{name}' is a scope of the hub itself.");
            }
            if (!names.Add(name))
            {
                errors.Add("scopes", $"'{name}' is listed twice.");
            }
            if (Languages.FirstOrDefault(language => Text(scope!.Description, language) is not { Length: > 0 and <= 200 } text || string.IsNullOrWhiteSpace(text)) is { } missing)
            {
                errors.Add("scopes", $"'{name}' needs a description in vi, en and fr, each at most 200 characters ({missing} is missing or too long).");
            }
        }
        if (names.Count > 0)
        {
            // Any scope row of these names that is not this provider's is taken: another provider's, or one OpenIddict
            // knows without a provider, which is never overwritten.
            var own = (await providers.ScopesAsync(names, cancellationToken)).Where(s => s.Provider.Id == id).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            var existing = await db.Set<OpenIddictEntityFrameworkCoreScope>().AsNoTracking().Where(s => names.Contains(s.Name!)).Select(s => s.Name!).ToListAsync(cancellationToken);
            foreach (var name in existing.Where(n => !own.Contains(n)))
            {
                errors.Add("scopes", $"'{name}' is already a scope of another data provider.");
            }
        }
        return errors.Any ? (errors, null)
            : (errors, new Registration(id!, request.DisplayName!.Trim(), resource!, [.. scopes.Select(s => s!)], subject == ScopesAndClaims.IdentityNumber));
    }

    private static string? Text(LocalizedText? text, string language) => language switch
    {
        "vi" => text?.Vi,
        "en" => text?.En,
        _ => text?.Fr,
    };

    private sealed record Registration(string Id, string DisplayName, string Resource, IReadOnlyList<DataScopeRequest> Scopes, bool IdentityNumber)
    {
        public List<string> ScopeNames => [.. Scopes.Select(s => s.Name!)];

        public void Apply(DataProvider row, DateTimeOffset now)
        {
            row.SubjectIdentifier = IdentityNumber ? ProviderSubject.IdentityNumber : ProviderSubject.Pairwise;
            // The entitlement is dated when it is first recorded; the admin.change event of the request says who did it.
            row.IdentityNumberEntitledAt = IdentityNumber ? row.IdentityNumberEntitledAt ?? now : null;
            row.UpdatedAt = now;
        }
    }
}
