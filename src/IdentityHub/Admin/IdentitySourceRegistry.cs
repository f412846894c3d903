using IdentityHub.Data;
using IdentityHub.IdentitySources;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Admin;

/// <summary>
/// Manages the places people prove who they are. Each write is a single SaveChanges or DELETE statement, hence one
/// transaction; each announces the change, so every instance drops its kept list of sources (<see cref="SourceList"/>).
/// </summary>
public sealed class IdentitySourceRegistry(HubDbContext db, IDataProtectionProvider dataProtection, IHostEnvironment environment, TimeProvider time, SettingsChanges changes)
{
    private const string Oidc = "oidc";
    private const string Registry = "registry";
    private const string SecretBasic = "client_secret_basic";
    private const string SecretPost = "client_secret_post";
    private const string PrivateKeyJwt = "private_key_jwt";

    private readonly IDataProtector _secrets = dataProtection.CreateProtector(IdentitySource.ClientSecretPurpose);

    public async Task<IReadOnlyList<IdentitySourceResponse>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await db.IdentitySources.AsNoTracking().OrderBy(s => s.Id).ToListAsync(cancellationToken);
        return [.. rows.Select(ToResponse)];
    }

    public async Task<IdentitySourceResponse?> FindAsync(string id, CancellationToken cancellationToken) =>
        await db.IdentitySources.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } row ? ToResponse(row) : null;

    public async Task<AdminResult<IdentitySourceResponse>> CreateAsync(IdentitySourceRequest request, CancellationToken cancellationToken)
    {
        if (request.Kind == Registry)
        {
            return RegistryExistsOnce();
        }
        var (errors, definition) = Validate(request, pathId: null, stored: null);
        if (definition is null)
        {
            return AdminResult.Invalid<IdentitySourceResponse>(errors);
        }
        if (await db.IdentitySources.AnyAsync(s => s.Id == definition.Id, cancellationToken))
        {
            return Duplicate(definition.Id);
        }

        var now = time.GetUtcNow();
        var row = new IdentitySource { Id = definition.Id, DisplayName = "", Acr = "", CreatedAt = now };
        definition.ApplyTo(row, _secrets);
        row.UpdatedAt = now;
        db.IdentitySources.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent request created the same id first.
            return Duplicate(definition.Id);
        }
        return AdminResult.Saved(ToResponse(row));
    }

    public async Task<AdminResult<IdentitySourceResponse>> ReplaceAsync(string id, IdentitySourceRequest request, CancellationToken cancellationToken)
    {
        var row = await db.IdentitySources.FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (row is null)
        {
            return AdminResult.NotFound<IdentitySourceResponse>();
        }
        if (request.Kind == Registry && row.Kind != IdentitySourceKind.Registry)
        {
            return RegistryExistsOnce();
        }
        var (errors, definition) = Validate(request, id, row);
        if (definition is null)
        {
            return AdminResult.Invalid<IdentitySourceResponse>(errors);
        }

        definition.ApplyTo(row, _secrets);
        row.UpdatedAt = time.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Deleted by a concurrent request between the read and the update.
            return AdminResult.NotFound<IdentitySourceResponse>();
        }
        return AdminResult.Saved(ToResponse(row));
    }

    /// <summary><see cref="AdminResult.Deleted{T}"/> once removed; the registry source cannot be (it can be disabled).</summary>
    public async Task<AdminResult<IdentitySourceResponse>> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var kind = await db.IdentitySources.Where(s => s.Id == id).Select(s => (IdentitySourceKind?)s.Kind).FirstOrDefaultAsync(cancellationToken);
        if (kind is null)
        {
            return AdminResult.NotFound<IdentitySourceResponse>();
        }
        if (kind == IdentitySourceKind.Registry)
        {
            return AdminResult.Conflict<IdentitySourceResponse>(
                "The registry source is always present and cannot be removed; set enabled to false to stop offering it.");
        }
        var deleted = await db.IdentitySources.Where(s => s.Id == id && s.Kind != IdentitySourceKind.Registry).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            await SettingsChangeInterceptor.NotifyAsync(db, changes, cancellationToken);
        }
        return deleted == 0 ? AdminResult.NotFound<IdentitySourceResponse>() : AdminResult.Deleted<IdentitySourceResponse>();
    }

    private static AdminResult<IdentitySourceResponse> RegistryExistsOnce() => AdminResult.Conflict<IdentitySourceResponse>(
        $"The registry source exists once: it is the built-in source '{IdentitySource.RegistryId}', which can be changed but not added.");

    private static AdminResult<IdentitySourceResponse> Duplicate(string id) => AdminResult.Conflict<IdentitySourceResponse>($"An identity source with id '{id}' already exists.");

    private static IdentitySourceResponse ToResponse(IdentitySource row) => new()
    {
        Id = row.Id,
        DisplayName = row.DisplayName,
        Kind = row.Kind == IdentitySourceKind.Registry ? Registry : Oidc,
        Authority = row.Authority?.OriginalString,
        ClientId = row.ClientId,
        HasClientSecret = row.ProtectedClientSecret is not null,
        Scopes = row.Scopes,
        Acr = row.Acr,
        Subjects = row.Subjects switch
        {
            SourceSubjects.Enterprises => "enterprises",
            SourceSubjects.Both => "both",
            _ => "individuals",
        },
        ClaimMappings = row.ClaimMappings,
        TokenEndpointAuthMethod = row.TokenEndpointAuthMethod,
        Enabled = row.Enabled,
    };

    /// <param name="stored">The source being replaced; null on create.</param>
    private (ValidationErrors Errors, Definition? Definition) Validate(IdentitySourceRequest request, string? pathId, IdentitySource? stored)
    {
        var errors = new ValidationErrors();

        var id = request.Id;
        if (pathId is not null && id is not null && id != pathId)
        {
            errors.Add("id", "The id in the body must match the one in the path.");
        }
        id ??= pathId;
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            errors.Add("id", "Required: 1 to 64 lower-case letters, digits, '-' or '_' (it is part of the callback URL {issuer}/signin/{id}).");
        }
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > 200)
        {
            errors.Add("displayName", "Required, at most 200 characters.");
        }
        IdentitySourceKind? kind = request.Kind switch
        {
            Oidc => IdentitySourceKind.Oidc,
            Registry => IdentitySourceKind.Registry,
            _ => null,
        };
        if (kind is null)
        {
            errors.Add("kind", "Must be 'oidc' or 'registry'.");
        }
        else if (stored?.Kind == IdentitySourceKind.Registry && kind != IdentitySourceKind.Registry)
        {
            errors.Add("kind", "The registry source stays of kind 'registry'.");
            kind = null;
        }
        if (AssuranceLevels.Rank(request.Acr) < 0)
        {
            errors.Add("acr", "Must be eidas1, eidas2 or eidas3: the highest level the source reaches.");
        }
        SourceSubjects? subjects = request.Subjects switch
        {
            "individuals" => SourceSubjects.Individuals,
            "enterprises" => SourceSubjects.Enterprises,
            "both" => SourceSubjects.Both,
            _ => null,
        };
        if (subjects is null)
        {
            errors.Add("subjects", "Must be 'individuals', 'enterprises' or 'both'.");
        }

        // Upstream settings are judged only against a valid kind: a bad kind is one error, not seven.
        var upstream = kind switch
        {
            IdentitySourceKind.Oidc => ValidateUpstream(request, stored, errors),
            IdentitySourceKind.Registry => RefuseUpstream(request, errors),
            _ => Upstream.None,
        };

        if (errors.Any)
        {
            return (errors, null);
        }
        return (errors, new Definition(id!, request.DisplayName!.Trim(), kind!.Value, request.Acr!, subjects!.Value, request.Enabled ?? true, upstream));
    }

    /// <summary>How the hub signs in at an oidc source; usable only when <paramref name="errors"/> stays empty.</summary>
    private Upstream ValidateUpstream(IdentitySourceRequest request, IdentitySource? stored, ValidationErrors errors)
    {
        Uri? authority = null;
        if (string.IsNullOrEmpty(request.Authority))
        {
            errors.Add("authority", "Required for an oidc source: the provider's issuer URL.");
        }
        else if (errors.RequireRedirectableUri("authority", request.Authority, environment.IsDevelopment()) is { } uri)
        {
            // OpenID Connect Discovery 1.0, section 2: an issuer has no query or fragment component.
            if (request.Authority.Contains('?', StringComparison.Ordinal))
            {
                errors.Add("authority", "An issuer URL has no query component.");
            }
            authority = uri;
        }

        var clientId = request.ClientId?.Trim();
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 200)
        {
            errors.Add("clientId", "Required for an oidc source: the hub's client id at the provider, at most 200 characters.");
        }

        var method = request.TokenEndpointAuthMethod ?? SecretBasic;
        if (method is not (SecretBasic or SecretPost or PrivateKeyJwt))
        {
            errors.Add("tokenEndpointAuthMethod", "Must be client_secret_basic, client_secret_post or private_key_jwt.");
        }

        if (method == PrivateKeyJwt)
        {
            // The hub authenticates with its own key (published at {issuer}/.well-known/jwks): a secret would be unused.
            if (request.ClientSecret is not null)
            {
                errors.Add("clientSecret", "Not used with private_key_jwt: the hub signs with its own key, which the provider reads from the hub's JWKS; leave it out.");
            }
        }
        else if (request.ClientSecret is null)
        {
            if (stored?.ProtectedClientSecret is null)
            {
                errors.Add("clientSecret", "Required for an oidc source authenticating with a client secret: the hub's client secret at the provider.");
            }
        }
        else if (string.IsNullOrWhiteSpace(request.ClientSecret) || request.ClientSecret.Length > 256)
        {
            errors.Add("clientSecret", "Must be 1 to 256 characters; leave it out of a replace to keep the stored secret.");
        }

        var scopes = (request.Scopes ?? ["openid"]).Distinct(StringComparer.Ordinal).ToList();
        foreach (var scope in scopes.Where(s => !IsScopeToken(s)))
        {
            errors.Add("scopes", $"'{scope}' is not a scope token (RFC 6749 section 3.3: printable ASCII without spaces, quotes or backslashes).");
        }
        if (!scopes.Contains("openid"))
        {
            errors.Add("scopes", "Must include 'openid'.");
        }
        if (string.Join(' ', scopes).Length > 1000)
        {
            errors.Add("scopes", "At most 1000 characters in all.");
        }

        var mappings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (hubClaim, sourceClaim) in request.ClaimMappings ?? new Dictionary<string, string?>())
        {
            if (!ScopesAndClaims.MappableClaims.Contains(hubClaim))
            {
                errors.Add("claimMappings", $"'{hubClaim}' is not a claim of this hub; map one of: {string.Join(", ", ScopesAndClaims.MappableClaims)}.");
            }
            else if (string.IsNullOrWhiteSpace(sourceClaim) || sourceClaim.Trim().Length > 200)
            {
                errors.Add("claimMappings", $"'{hubClaim}' must map to the name of the source's claim (1 to 200 characters).");
            }
            else
            {
                mappings[hubClaim] = sourceClaim.Trim();
            }
        }

        return new Upstream(authority, clientId, request.ClientSecret, scopes, mappings, method);
    }

    /// <summary>The registry is part of the hub: it has no upstream client settings to change.</summary>
    private static Upstream RefuseUpstream(IdentitySourceRequest request, ValidationErrors errors)
    {
        const string Message = "The registry source is part of the hub and has no such setting.";
        if (request.Authority is not null)
        {
            errors.Add("authority", Message);
        }
        if (request.ClientId is not null)
        {
            errors.Add("clientId", Message);
        }
        if (request.ClientSecret is not null)
        {
            errors.Add("clientSecret", Message);
        }
        // Empty values, as a read returns them, may be sent back unchanged.
        if (request.Scopes is { Count: > 0 })
        {
            errors.Add("scopes", Message);
        }
        if (request.ClaimMappings is { Count: > 0 })
        {
            errors.Add("claimMappings", Message);
        }
        if (request.TokenEndpointAuthMethod is not null)
        {
            errors.Add("tokenEndpointAuthMethod", Message);
        }
        return Upstream.None;
    }

    private static bool IsScopeToken(string scope) =>
        scope.Length is > 0 and <= 100 && scope.All(c => c is '\x21' or (>= '\x23' and <= '\x5B') or (>= '\x5D' and <= '\x7E'));

    private sealed record Upstream(Uri? Authority, string? ClientId, string? ClientSecret, List<string> Scopes, Dictionary<string, string> ClaimMappings, string? TokenEndpointAuthMethod)
    {
        public static Upstream None => new(null, null, null, [], new Dictionary<string, string>(StringComparer.Ordinal), null);
    }

    private sealed record Definition(string Id, string DisplayName, IdentitySourceKind Kind, string Acr, SourceSubjects Subjects, bool Enabled, Upstream Upstream)
    {
        public void ApplyTo(IdentitySource row, IDataProtector secrets)
        {
            row.DisplayName = DisplayName;
            row.Kind = Kind;
            row.Acr = Acr;
            row.Subjects = Subjects;
            row.Enabled = Enabled;
            row.Authority = Upstream.Authority;
            row.ClientId = Upstream.ClientId;
            row.Scopes = Upstream.Scopes;
            row.ClaimMappings = Upstream.ClaimMappings;
            row.TokenEndpointAuthMethod = Upstream.TokenEndpointAuthMethod;
            // Left out of a replace, the stored secret stays; a source that signs with the hub's key keeps none.
            if (Upstream.TokenEndpointAuthMethod == PrivateKeyJwt)
            {
                row.ProtectedClientSecret = null;
            }
            else if (Upstream.ClientSecret is not null)
            {
                row.ProtectedClientSecret = secrets.Protect(Upstream.ClientSecret);
            }
        }
    }
}
