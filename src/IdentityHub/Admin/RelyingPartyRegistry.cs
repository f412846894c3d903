using System.Security.Cryptography;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.DataSharing;
using IdentityHub.Protocol;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Admin;

/// <summary>
/// Registers relying services: OpenIddict's application (client id, hashed secret, URIs, permissions, keys) and
/// the hub's own row (sector, assurance, consent, logout) are written together in one transaction.
/// </summary>
public sealed class RelyingPartyRegistry(HubDbContext db, IOpenIddictApplicationManager applications, DataProviders providers, IHttpClientFactory http, IHostEnvironment environment, TimeProvider time)
{
    public const string JwksClient = "relying-party-jwks";

    private static readonly string[] SupportedGrantTypes = [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.ClientCredentials];

    public async Task<IReadOnlyList<RelyingPartyResponse>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await db.RelyingParties.AsNoTracking().OrderBy(r => r.ClientId).ToListAsync(cancellationToken);
        var result = new List<RelyingPartyResponse>(rows.Count);
        foreach (var row in rows)
        {
            if (await applications.FindByClientIdAsync(row.ClientId, cancellationToken) is { } application)
            {
                result.Add(await ToResponseAsync(application, row, null, cancellationToken));
            }
        }
        return result;
    }

    public async Task<RelyingPartyResponse?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        var row = await db.RelyingParties.AsNoTracking().FirstOrDefaultAsync(r => r.ClientId == clientId, cancellationToken);
        var application = row is null ? null : await applications.FindByClientIdAsync(clientId, cancellationToken);
        return application is null ? null : await ToResponseAsync(application, row!, null, cancellationToken);
    }

    public async Task<AdminResult<RelyingPartyResponse>> CreateAsync(RelyingPartyRequest request, CancellationToken cancellationToken)
    {
        var (errors, registration) = await ValidateAsync(request, pathClientId: null, cancellationToken);
        if (registration is null)
        {
            return AdminResult.Invalid<RelyingPartyResponse>(errors);
        }
        if (await applications.FindByClientIdAsync(registration.ClientId, cancellationToken) is not null)
        {
            return AdminResult.Conflict<RelyingPartyResponse>($"A client with id '{registration.ClientId}' already exists.");
        }

        var secret = registration.UsesSecret ? NewSecret() : null;
        var descriptor = registration.ToDescriptor(secret);
        var now = time.GetUtcNow();
        var row = registration.ToRow(new RelyingParty { ClientId = registration.ClientId, SectorIdentifier = "", CreatedAt = now });
        row.UpdatedAt = now;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            var application = await applications.CreateAsync(descriptor, cancellationToken);
            db.RelyingParties.Add(row);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return AdminResult.Saved(await ToResponseAsync(application, row, secret, cancellationToken));
        }
        catch (Exception exception) when (exception is DbUpdateException or OpenIddictExceptions.ValidationException)
        {
            // A concurrent request registered the same client id first: OpenIddict's own check saw its committed row,
            // or the unique index refused ours. The database says which; anything else is not a conflict.
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            if (await db.Set<OpenIddictEntityFrameworkCoreApplication>().AnyAsync(a => a.ClientId == registration.ClientId, cancellationToken))
            {
                return AdminResult.Conflict<RelyingPartyResponse>($"A client with id '{registration.ClientId}' already exists.");
            }
            throw;
        }
    }

    public async Task<AdminResult<RelyingPartyResponse>> ReplaceAsync(string clientId, RelyingPartyRequest request, CancellationToken cancellationToken)
    {
        var row = await db.RelyingParties.FirstOrDefaultAsync(r => r.ClientId == clientId, cancellationToken);
        var application = row is null ? null : await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return AdminResult.NotFound<RelyingPartyResponse>();
        }
        var (errors, registration) = await ValidateAsync(request, clientId, cancellationToken);
        if (registration is null)
        {
            return AdminResult.Invalid<RelyingPartyResponse>(errors);
        }

        // The secret survives a replace; a client moving to a secret method gets a new one, returned once.
        var hadSecret = row!.TokenEndpointAuthMethod is "client_secret_basic" or "client_secret_post";
        var secret = registration.UsesSecret && !hadSecret ? NewSecret() : null;
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        registration.Apply(descriptor, secret);
        registration.ToRow(row);
        row.UpdatedAt = time.GetUtcNow();

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await applications.UpdateAsync(application, descriptor, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return AdminResult.Saved(await ToResponseAsync(application, row, secret, cancellationToken));
    }

    public async Task<AdminResult<RelyingPartyResponse>> DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        var row = await db.RelyingParties.FirstOrDefaultAsync(r => r.ClientId == clientId, cancellationToken);
        var application = row is null ? null : await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return AdminResult.NotFound<RelyingPartyResponse>();
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // OpenIddict removes the client's authorizations and tokens with it: nothing it was issued stays valid.
        await applications.DeleteAsync(application, cancellationToken);
        db.RelyingParties.Remove(row!);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return AdminResult.Deleted<RelyingPartyResponse>();
    }

    public async Task<AdminResult<RelyingPartyResponse>> RotateSecretAsync(string clientId, CancellationToken cancellationToken)
    {
        var row = await db.RelyingParties.AsNoTracking().FirstOrDefaultAsync(r => r.ClientId == clientId, cancellationToken);
        var application = row is null ? null : await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return AdminResult.NotFound<RelyingPartyResponse>();
        }
        if (row!.TokenEndpointAuthMethod is not ("client_secret_basic" or "client_secret_post"))
        {
            return AdminResult.Conflict<RelyingPartyResponse>($"Client '{clientId}' authenticates with {row.TokenEndpointAuthMethod}: it has no secret to rotate.");
        }
        var secret = NewSecret();
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        descriptor.ClientSecret = secret;
        await applications.UpdateAsync(application, descriptor, cancellationToken);
        return AdminResult.Saved(await ToResponseAsync(application, row, secret, cancellationToken));
    }

    /// <summary>256 random bits, base64url: URL-safe, and too long to guess, so a fast hash would do (docs/design.md, "Token hot path").</summary>
    internal static string NewSecret() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private async Task<RelyingPartyResponse> ToResponseAsync(object application, RelyingParty row, string? secret, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        return new RelyingPartyResponse
        {
            ClientId = descriptor.ClientId!,
            DisplayName = descriptor.DisplayName ?? descriptor.ClientId!,
            ClientType = descriptor.ClientType ?? ClientTypes.Confidential,
            GrantTypes = [.. descriptor.Permissions.Where(p => p.StartsWith(Permissions.Prefixes.GrantType, StringComparison.Ordinal)).Select(p => p[Permissions.Prefixes.GrantType.Length..]).Order(StringComparer.Ordinal)],
            TokenEndpointAuthMethod = row.TokenEndpointAuthMethod,
            Jwks = row.JwksUri is null && descriptor.JsonWebKeySet is { } set ? PublicKeys(set) : null,
            JwksUri = row.JwksUri?.AbsoluteUri,
            RedirectUris = [.. descriptor.RedirectUris.Select(u => u.OriginalString)],
            PostLogoutRedirectUris = [.. descriptor.PostLogoutRedirectUris.Select(u => u.OriginalString)],
            BackchannelLogoutUri = row.BackchannelLogoutUri?.OriginalString,
            AllowedScopes = [.. descriptor.Permissions.Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal)).Select(p => p[Permissions.Prefixes.Scope.Length..]).Prepend(Scopes.OpenId).Distinct().Order(StringComparer.Ordinal)],
            SectorIdentifier = row.SectorIdentifier,
            MinimumAcr = row.MinimumAcr,
            Consent = row.Consent == ConsentMode.Implicit ? "implicit" : "explicit",
            EnterpriseOnly = row.EnterpriseOnly,
            IdTokenSignedResponseAlg = TokenSigning.Of(descriptor.Properties, TokenSigning.IdTokenProperty),
            AccessTokenSignedResponseAlg = TokenSigning.Of(descriptor.Properties, TokenSigning.AccessTokenProperty),
            ClientSecret = secret,
        };
    }

    /// <summary>The registered keys as a plain JWK Set: public members only, no empty arrays.</summary>
    private static JsonElement PublicKeys(JsonWebKeySet set) => JsonSerializer.SerializeToElement(new Dictionary<string, object>
    {
        ["keys"] = set.Keys.Select(key => new Dictionary<string, string?>
        {
            ["kty"] = key.Kty,
            ["kid"] = key.Kid,
            ["use"] = key.Use,
            ["alg"] = key.Alg,
            ["n"] = key.N,
            ["e"] = key.E,
            ["crv"] = key.Crv,
            ["x"] = key.X,
            ["y"] = key.Y,
        }.Where(member => member.Value is not null).ToDictionary()).ToList(),
    });

    private async Task<(ValidationErrors Errors, Registration? Registration)> ValidateAsync(RelyingPartyRequest request, string? pathClientId, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var allowHttp = environment.IsDevelopment();

        var clientId = request.ClientId?.Trim();
        if (pathClientId is not null && clientId is not null && clientId != pathClientId)
        {
            errors.Add("clientId", "The clientId in the body must match the one in the path.");
        }
        clientId ??= pathClientId;
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 100 || !clientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add("clientId", "Required: 1 to 100 letters, digits, '-', '_' or '.'.");
        }
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > 200)
        {
            errors.Add("displayName", "Required, at most 200 characters.");
        }
        var clientType = request.ClientType ?? "";
        if (clientType is not (ClientTypes.Confidential or ClientTypes.Public))
        {
            errors.Add("clientType", "Must be 'confidential' or 'public'.");
        }
        var isPublic = clientType == ClientTypes.Public;

        var grantTypes = (request.GrantTypes ?? [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken]).Distinct(StringComparer.Ordinal).ToList();
        foreach (var grantType in grantTypes.Where(g => !SupportedGrantTypes.Contains(g)))
        {
            errors.Add("grantTypes", $"'{grantType}' is not supported; use authorization_code, refresh_token or client_credentials.");
        }
        if (grantTypes.Count == 0)
        {
            errors.Add("grantTypes", "At least one grant type is required.");
        }
        if (isPublic && grantTypes.Contains(GrantTypes.ClientCredentials))
        {
            errors.Add("grantTypes", "client_credentials is only for confidential clients.");
        }
        if (grantTypes.Contains(GrantTypes.RefreshToken) && !grantTypes.Contains(GrantTypes.AuthorizationCode))
        {
            errors.Add("grantTypes", "refresh_token needs authorization_code.");
        }
        var interactive = grantTypes.Contains(GrantTypes.AuthorizationCode);

        var method = request.TokenEndpointAuthMethod ?? (isPublic ? "none" : "client_secret_basic");
        if (isPublic && method != "none")
        {
            errors.Add("tokenEndpointAuthMethod", "Public clients do not authenticate: use 'none' or leave it out.");
        }
        else if (!isPublic && method is not ("client_secret_basic" or "client_secret_post" or "private_key_jwt"))
        {
            errors.Add("tokenEndpointAuthMethod", "Must be client_secret_basic, client_secret_post or private_key_jwt.");
        }

        JsonWebKeySet? keys = null;
        Uri? jwksUri = null;
        if (method == "private_key_jwt")
        {
            if (request.Jwks is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } == (request.JwksUri is not null))
            {
                errors.Add(request.JwksUri is null ? "jwks" : "jwksUri", "private_key_jwt needs exactly one of jwks and jwksUri.");
            }
            else if (request.Jwks is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } jwks)
            {
                keys = ParseKeys("jwks", jwks.GetRawText(), errors);
            }
            else if (errors.RequireRedirectableUri("jwksUri", request.JwksUri, allowHttp) is { } uri)
            {
                jwksUri = uri;
                keys = await FetchKeysAsync(uri, errors, cancellationToken);
            }
        }
        else if (request.Jwks is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } || request.JwksUri is not null)
        {
            errors.Add(request.JwksUri is null ? "jwks" : "jwksUri", "Keys are only used with tokenEndpointAuthMethod private_key_jwt.");
        }

        var redirectUris = ValidateUris("redirectUris", request.RedirectUris, allowHttp, errors);
        if (interactive && redirectUris.Count == 0 && !errors.Has("redirectUris"))
        {
            errors.Add("redirectUris", "At least one redirect URI is required for authorization_code.");
        }
        var postLogoutUris = ValidateUris("postLogoutRedirectUris", request.PostLogoutRedirectUris, allowHttp, errors);
        var backchannel = request.BackchannelLogoutUri is null ? null : errors.RequireRedirectableUri("backchannelLogoutUri", request.BackchannelLogoutUri, allowHttp);

        var scopes = (request.AllowedScopes ?? [Scopes.OpenId]).Distinct(StringComparer.Ordinal).ToList();
        // Refused here rather than at login: a service registered with a scope the hub does not serve would only learn
        // it from invalid_scope at its first sign-in. A data provider's scope is a scope of the hub too (CONTRACT section 3).
        var dataScopes = (await providers.ScopesAsync(scopes.Where(s => !ScopesAndClaims.IsServed(s)), cancellationToken)).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var scope in scopes.Where(s => !ScopesAndClaims.IsServed(s) && !dataScopes.Contains(s)))
        {
            errors.Add("allowedScopes", ScopesAndClaims.Names.Contains(scope)
                ? $"'{scope}' is not served by this hub yet."
                : $"'{scope}' is not a scope of this hub.");
        }
        if (interactive && !scopes.Contains(Scopes.OpenId))
        {
            errors.Add("allowedScopes", "openid is required for authorization_code.");
        }
        if (scopes.Contains(Scopes.OfflineAccess) && !grantTypes.Contains(GrantTypes.RefreshToken))
        {
            errors.Add("allowedScopes", "offline_access needs the refresh_token grant type.");
        }

        string? sector = request.SectorIdentifier?.Trim().ToLowerInvariant();
        if (sector is not null)
        {
            if (Uri.CheckHostName(sector) is not (UriHostNameType.Dns or UriHostNameType.IPv4) || sector.Length > 253)
            {
                errors.Add("sectorIdentifier", "Must be a host name, such as tax.gov.vn.");
            }
        }
        else
        {
            var hosts = redirectUris.Select(u => u.Host.ToLowerInvariant()).Distinct().ToList();
            if (hosts.Count > 1)
            {
                errors.Add("sectorIdentifier", $"The redirect URIs are on several hosts ({string.Join(", ", hosts)}): name the sector they share.");
            }
            sector = hosts.FirstOrDefault() ?? clientId?.ToLowerInvariant();
        }

        if (request.MinimumAcr is not null && AssuranceLevels.Rank(request.MinimumAcr) < 0)
        {
            errors.Add("minimumAcr", "Must be eidas1, eidas2 or eidas3.");
        }
        var consent = request.Consent ?? "explicit";
        if (consent is not ("explicit" or "implicit"))
        {
            errors.Add("consent", "Must be 'explicit' or 'implicit'.");
        }
        var enterpriseOnly = request.EnterpriseOnly ?? false;
        if (enterpriseOnly && !scopes.Contains(ScopesAndClaims.Enterprise))
        {
            errors.Add("enterpriseOnly", "A service only for enterprises must be allowed the 'enterprise' scope, to ask whom the person acts for.");
        }

        var idTokenAlg = SigningAlgorithm("idTokenSignedResponseAlg", request.IdTokenSignedResponseAlg, errors);
        var accessTokenAlg = SigningAlgorithm("accessTokenSignedResponseAlg", request.AccessTokenSignedResponseAlg, errors);

        if (errors.Any)
        {
            return (errors, null);
        }
        return (errors, new Registration(clientId!, request.DisplayName!.Trim(), clientType, grantTypes, method, keys, jwksUri,
            redirectUris, postLogoutUris, backchannel, scopes, sector!, request.MinimumAcr, consent == "implicit" ? ConsentMode.Implicit : ConsentMode.Explicit, enterpriseOnly,
            idTokenAlg, accessTokenAlg));
    }

    private static string SigningAlgorithm(string field, string? value, ValidationErrors errors)
    {
        var algorithm = value ?? TokenSigning.Default;
        if (!TokenSigning.Allowed.Contains(algorithm, StringComparer.Ordinal))
        {
            errors.Add(field, $"Must be {string.Join(" or ", TokenSigning.Allowed)}.");
        }
        return algorithm;
    }

    private static List<Uri> ValidateUris(string field, IReadOnlyList<string>? values, bool allowHttp, ValidationErrors errors)
    {
        var uris = new List<Uri>();
        foreach (var value in values ?? [])
        {
            if (errors.RequireRedirectableUri(field, value, allowHttp) is { } uri)
            {
                uris.Add(uri);
            }
        }
        return uris;
    }

    private static JsonWebKeySet? ParseKeys(string field, string json, ValidationErrors errors)
    {
        try
        {
            var set = new JsonWebKeySet(json);
            if (set.Keys.Count == 0)
            {
                errors.Add(field, "The key set holds no key.");
                return null;
            }
            // "d" is the private part of RSA and EC keys; "oct" keys are nothing but secret.
            if (set.Keys.Any(k => !string.IsNullOrEmpty(k.D) || k.Kty == JsonWebAlgorithmsKeyTypes.Octet || k.HasPrivateKey))
            {
                errors.Add(field, "The key set contains private key material: register public keys only.");
                return null;
            }
            return set;
        }
        catch (ArgumentException)
        {
            errors.Add(field, "Not a valid JWK Set (RFC 7517).");
            return null;
        }
    }

    private async Task<JsonWebKeySet?> FetchKeysAsync(Uri uri, ValidationErrors errors, CancellationToken cancellationToken)
    {
        try
        {
            var json = await http.CreateClient(JwksClient).GetStringAsync(uri, cancellationToken);
            return ParseKeys("jwksUri", json, errors);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            errors.Add("jwksUri", $"The key set could not be read from {uri}: {exception.Message}");
            return null;
        }
    }

    private sealed record Registration(
        string ClientId, string DisplayName, string ClientType, List<string> GrantTypes, string Method, JsonWebKeySet? Keys, Uri? JwksUri,
        List<Uri> RedirectUris, List<Uri> PostLogoutUris, Uri? BackchannelLogoutUri, List<string> Scopes, string Sector, string? MinimumAcr, ConsentMode Consent, bool EnterpriseOnly,
        string IdTokenAlg, string AccessTokenAlg)
    {
        public bool UsesSecret => Method is "client_secret_basic" or "client_secret_post";

        public OpenIddictApplicationDescriptor ToDescriptor(string? secret)
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            Apply(descriptor, secret);
            return descriptor;
        }

        public void Apply(OpenIddictApplicationDescriptor descriptor, string? secret)
        {
            descriptor.ClientId = ClientId;
            descriptor.DisplayName = DisplayName;
            descriptor.ClientType = ClientType;
            // A populated descriptor carries the stored secret hash: keep it unless there is a new secret or none is wanted.
            if (secret is not null || !UsesSecret)
            {
                descriptor.ClientSecret = secret;
            }
            descriptor.ConsentType = Consent == ConsentMode.Implicit ? ConsentTypes.Implicit : ConsentTypes.Explicit;
            descriptor.JsonWebKeySet = Keys;
            descriptor.RedirectUris.Clear();
            descriptor.RedirectUris.UnionWith(RedirectUris);
            descriptor.PostLogoutRedirectUris.Clear();
            descriptor.PostLogoutRedirectUris.UnionWith(PostLogoutUris);
            descriptor.Permissions.Clear();
            descriptor.Requirements.Clear();
            // PKCE is required of public clients; a confidential one may send it (docs/integration.md, "Endpoints").
            if (GrantTypes.Contains(OpenIddictConstants.GrantTypes.AuthorizationCode) && ClientType == ClientTypes.Public)
            {
                descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            }
            ClientPermissions.Grant(descriptor, GrantTypes, Scopes.Where(s => s != OpenIddictConstants.Scopes.OpenId));
            TokenSigning.Set(descriptor.Properties, TokenSigning.IdTokenProperty, IdTokenAlg);
            TokenSigning.Set(descriptor.Properties, TokenSigning.AccessTokenProperty, AccessTokenAlg);
        }

        public RelyingParty ToRow(RelyingParty row)
        {
            row.SectorIdentifier = Sector;
            row.MinimumAcr = MinimumAcr;
            row.Consent = Consent;
            row.EnterpriseOnly = EnterpriseOnly;
            row.BackchannelLogoutUri = BackchannelLogoutUri;
            row.TokenEndpointAuthMethod = Method;
            row.JwksUri = JwksUri;
            return row;
        }
    }
}
