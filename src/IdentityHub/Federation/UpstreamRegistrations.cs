using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.IdentitySources;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Client;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Federation;

/// <summary>
/// Gives OpenIddict's client one registration per upstream source, read from the database. OpenIddict has
/// no dynamic client store; its maintainers' way is an options setup plus a change token (openiddict-core #2192,
/// #2273). The token fires when the sources' fingerprint in the database differs from the one the options were
/// built from, checked before each upstream step: a change made through any instance is seen by all, at once.
/// </summary>
internal sealed class UpstreamRegistrations(IServiceScopeFactory scopes, HubIssuer issuer, IOptionsMonitor<OpenIddictServerOptions> server, SourceList list)
    : IConfigureOptions<OpenIddictClientOptions>, IOptionsChangeTokenSource<OpenIddictClientOptions>, IDisposable
{
    private CancellationTokenSource _changes = new();
    private string? _fingerprint;

    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);

    public void Configure(OpenIddictClientOptions options)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var secrets = scope.ServiceProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector(IdentitySource.ClientSecretPurpose);
        // Options are built synchronously; this runs once per change of the sources, not per request.
        // The registrations and their fingerprint come from the same list: what the options hold is what they say.
        var all = list.AllAsync(db, CancellationToken.None).GetAwaiter().GetResult();
        _fingerprint = Fingerprint(all);
        // Disabled sources keep their registration: the challenge offers only enabled ones (SourceCatalog), and a
        // person already at a source when it is disabled comes back to a callback that ends the login readably.
        var sources = all.Where(s => s.Kind == IdentitySourceKind.Oidc).ToList();

        foreach (var source in sources.Where(s => s.Authority is not null && s.ClientId is not null))
        {
            var redirect = new Uri($"signin/{source.Id}", UriKind.Relative);
            var postLogout = new Uri($"signout/{source.Id}", UriKind.Relative);
            options.RedirectionEndpointUris.Add(redirect);
            options.PostLogoutRedirectionEndpointUris.Add(postLogout);
            var method = source.TokenEndpointAuthMethod ?? ClientAuthenticationMethods.ClientSecretBasic;
            var registration = new OpenIddictClientRegistration
            {
                RegistrationId = source.Id,
                ProviderName = source.Id,
                ProviderDisplayName = source.DisplayName,
                Issuer = source.Authority,
                ClientId = source.ClientId,
                RedirectUri = issuer.Resolve(redirect.OriginalString),
                PostLogoutRedirectUri = issuer.Resolve(postLogout.OriginalString),
            };
            if (method == ClientAuthenticationMethods.PrivateKeyJwt)
            {
                // The hub signs its client assertions with its own RS256 key, which the source reads from the hub's
                // JWKS ({issuer}/.well-known/jwks, registered there as jwks_uri): no secret to share or rotate by hand.
                // Every published one is here; the one active at the moment signs (StateTokenKeys).
                registration.SigningCredentials.AddRange(server.CurrentValue.SigningCredentials
                    .Where(c => c.Key is RsaSecurityKey && c.Algorithm == SecurityAlgorithms.RsaSha256));
            }
            else
            {
                registration.ClientSecret = source.ProtectedClientSecret is { } protectedSecret ? secrets.Unprotect(protectedSecret) : null;
            }
            registration.Scopes.UnionWith(source.Scopes.Count > 0 ? source.Scopes : ["openid"]);
            registration.ClientAuthenticationMethods.Add(method);
            options.Registrations.Add(registration);
        }
        if (options.RedirectionEndpointUris.Count == 0)
        {
            // OpenIddict insists on a redirection endpoint even while no upstream source is registered.
            options.RedirectionEndpointUris.Add(new Uri("signin", UriKind.Relative));
        }
    }

    /// <summary>Rebuilds the client options on this instance if the sources changed since they were built.</summary>
    public async Task EnsureCurrentAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        if (Fingerprint(await list.AllAsync(db, cancellationToken)) != Volatile.Read(ref _fingerprint))
        {
            var previous = Interlocked.Exchange(ref _changes, new CancellationTokenSource());
            await previous.CancelAsync();
            previous.Dispose();
        }
    }

    public void Dispose() => _changes.Dispose();

    /// <summary>
    /// Every write to a source moves its <c>UpdatedAt</c>; a removal changes the count. Read from the kept list of
    /// sources, which every instance drops when a source changes anywhere (<see cref="SourceList"/>).
    /// </summary>
    private static string Fingerprint(IReadOnlyList<IdentitySource> sources)
    {
        var stamps = sources.Where(s => s.Kind == IdentitySourceKind.Oidc).Select(s => s.UpdatedAt).ToList();
        return $"{stamps.Count}:{(stamps.Count == 0 ? 0 : stamps.Max().UtcTicks)}";
    }
}
