using System.Collections.Immutable;
using IdentityHub.Data;
using IdentityHub.DataSharing;
using IdentityHub.Errors;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace IdentityHub.Protocol;

/// <summary>
/// Access tokens for data providers (CONTRACT section 8, docs/design.md "Data sharing"): a service asks for a provider's
/// data scopes with <c>resource</c> (RFC 8707) at authorization and at the token request; the access token for that
/// resource has it as its only audience, only that provider's consented scopes, the provider's own subject for the
/// person, and at most <see cref="Lifetime"/>; the provider, and only it, learns about it at the introspection endpoint.
/// OpenIddict's own resource checks compare with resources fixed at start-up, and its authorized-party check at
/// introspection knows audiences only as client ids: these handlers replace them.
/// </summary>
internal static class DataAccess
{
    /// <summary>The longest life of an access token for a data provider.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    public static ImmutableArray<OpenIddictServerHandlerDescriptor> Handlers { get; } =
    [
        ValidateAuthorizationResources.Descriptor,
        ValidateTokenResources.Descriptor,
        ValidateGrantCoversResource.Descriptor,
        RestrictAccessTokenToResource.Descriptor,
        ValidateIntrospectingParty.Descriptor,
        DescribeRelease.Descriptor,
    ];

    /// <summary>The built-in handler <see cref="ValidateIntrospectingParty"/> takes the place of.</summary>
    public static OpenIddictServerHandlerDescriptor ReplacedIntrospectionCheck => Introspection.ValidateAuthorizedParty.Descriptor;

    private const string ProviderProperty = ".identityhub.data_provider";
    private const string ScopesProperty = ".identityhub.data_scopes";

    /// <summary>
    /// Every <c>resource</c> is a registered provider's, every scope the hub does not serve itself is a data scope of a
    /// requested resource, and every requested resource gets at least one of its scopes. That the service may ask for
    /// each scope is checked with the others (<see cref="ProtocolHandlers.RequireStateNonceAndAllowedScopes"/>).
    /// </summary>
    public sealed class ValidateAuthorizationResources(DataProviders providers) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
                .UseScopedHandler<ValidateAuthorizationResources>()
                .SetOrder(Authentication.ValidateResources.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
        {
            var resources = context.Request.GetResources();
            var other = context.Request.GetScopes().Where(s => !ScopesAndClaims.IsServed(s)).ToList();
            if (resources.IsEmpty && other.Count == 0)
            {
                return;
            }
            var data = await providers.ScopesAsync(other, context.CancellationToken);
            if (other.FirstOrDefault(s => !data.Any(d => d.Name == s)) is { } unknown)
            {
                context.Reject(HubErrors.InvalidScope.OAuthError, $"The scope '{unknown}' is not allowed for this service.");
                return;
            }
            if (resources.FirstOrDefault(r => !data.Any(d => d.Provider.Resource == r)) is { } unasked)
            {
                context.Reject(HubErrors.InvalidTarget.OAuthError, $"The resource '{unasked}' is not a data provider whose scope this request asks for.");
                return;
            }
            if (data.FirstOrDefault(d => !resources.Contains(d.Provider.Resource, StringComparer.Ordinal)) is { } orphan)
            {
                context.Reject(HubErrors.InvalidScope.OAuthError,
                    $"The scope '{orphan.Name}' is data of {orphan.Provider.Resource}: ask for it with resource={orphan.Provider.Resource}.");
            }
        }
    }

    /// <summary>
    /// At the token endpoint: at most one <c>resource</c>, and never for a service acting on its own behalf
    /// (client_credentials): providers serve people's data. That it is a provider's, and that the grant covers it,
    /// is checked once the grant is known (<see cref="ValidateGrantCoversResource"/>).
    /// </summary>
    public sealed class ValidateTokenResources : IOpenIddictServerHandler<ValidateTokenRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                .UseSingletonHandler<ValidateTokenResources>()
                .SetOrder(Exchange.ValidateResources.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ValidateTokenRequestContext context)
        {
            var resources = context.Request.GetResources();
            if (resources.IsEmpty)
            {
                return default;
            }
            if (resources.Length > 1)
            {
                context.Reject(HubErrors.InvalidTarget.OAuthError, "Ask for one resource per token request: each access token has one data provider as its audience.");
            }
            else if (!context.Request.IsAuthorizationCodeGrantType() && !context.Request.IsRefreshTokenGrantType())
            {
                context.Reject(HubErrors.InvalidTarget.OAuthError, "A data provider's token is issued for a person's grant: the authorization code or a refresh token.");
            }
            return default;
        }
    }

    /// <summary>
    /// Before the code or refresh token is spent: the token request's resource is a registered provider's, the grant
    /// was for it, and holds at least one of that provider's scopes. A refusal here leaves the grant usable, as any
    /// invalid_target should. What it found is kept for <see cref="RestrictAccessTokenToResource"/>.
    /// </summary>
    public sealed class ValidateGrantCoversResource(DataProviders providers) : IOpenIddictServerHandler<HandleTokenRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                .UseScopedHandler<ValidateGrantCoversResource>()
                .SetOrder(Exchange.AttachPrincipal.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(HandleTokenRequestContext context)
        {
            var asked = context.Request.GetResources();
            if (asked.IsEmpty || context.Principal is not { } grant)
            {
                return;
            }
            var resource = asked[0];
            if (await providers.ByResourceAsync(resource, context.CancellationToken) is not { } provider)
            {
                context.Reject(HubErrors.InvalidTarget.OAuthError, $"The resource '{resource}' is not a registered data provider.");
                return;
            }
            var scopes = grant.GetResources().Contains(resource, StringComparer.Ordinal)
                ? (await providers.ScopesAsync(grant.GetScopes().Where(s => !ScopesAndClaims.IsServed(s)), context.CancellationToken))
                    .Where(s => s.Provider.Id == provider.Id).Select(s => s.Name).ToList()
                : [];
            if (scopes.Count == 0 || !Guid.TryParse(grant.GetClaim(TokenIssueAudit.PersonClaim), out var personId))
            {
                context.Reject(HubErrors.InvalidTarget.OAuthError,
                    $"The grant does not cover the resource '{resource}': the person did not agree to share its data with this service.");
                return;
            }
            context.Transaction.SetProperty(GrantProperty, new ResourceGrant(provider, scopes, personId));
        }
    }

    /// <summary>The provider a token request's resource names, the grant's scopes of it, and the person.</summary>
    private sealed record ResourceGrant(DataProvider Provider, List<string> Scopes, Guid PersonId);

    private const string GrantProperty = ".identityhub.resource_grant";

    /// <summary>
    /// The access token of a grant with resources: for the one resource the token request names, with that provider's
    /// consented scopes, its own subject for the person and a short life; without a resource, the service's ordinary
    /// token, with neither an audience nor a data scope.
    /// </summary>
    public sealed class RestrictAccessTokenToResource(PairwiseSubjects subjects, HubDbContext db, TimeProvider time)
        : IOpenIddictServerHandler<ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                .UseScopedHandler<RestrictAccessTokenToResource>()
                .SetOrder(PrepareAccessTokenPrincipal.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessSignInContext context)
        {
            if (context.AccessTokenPrincipal is not { } token || context.Principal is not { } grant)
            {
                return;
            }
            var granted = grant.GetResources();
            var asked = context.Request?.GetResources() ?? [];
            if (asked.IsEmpty)
            {
                if (!granted.IsEmpty)
                {
                    token.SetAudiences(ImmutableArray<string>.Empty);
                    token.SetScopes(token.GetScopes().Where(ScopesAndClaims.IsServed));
                }
                return;
            }
            // ValidateGrantCoversResource checked the resource against the grant before the grant was spent.
            var (provider, scopes, personId) = context.Transaction.GetProperty<ResourceGrant>(GrantProperty)
                ?? throw new InvalidOperationException("A token request names a resource that was not checked against its grant.");
            token.SetAudiences(asked[0]);
            token.SetScopes(scopes);
            token.RemoveClaims(ClaimsRequest.UserInfoClaimType).RemoveClaims(ClaimsRequest.ActingForClaimType);
            // The provider knows the person by its own sector's subject, never by the service's (docs/design.md, "Data sharing").
            token.SetClaim(Claims.Subject, await subjects.IssueAsync(db, provider.Sector, personId, time.GetUtcNow(), context.CancellationToken));
            var latest = (token.GetCreationDate() ?? time.GetUtcNow()) + Lifetime;
            if (token.GetExpirationDate() is not { } expires || expires > latest)
            {
                token.SetExpirationDate(latest);
            }
        }
    }

    /// <summary>
    /// Who may introspect what. A provider learns about access tokens for its own resource only; a token for a
    /// provider is nobody else's business, not even the service's that holds it (its subject is the provider's).
    /// Other tokens keep OpenIddict's rule: a caller that is neither an audience nor the presenter learns nothing.
    /// </summary>
    public sealed class ValidateIntrospectingParty(DataProviders providers, IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ValidateIntrospectionRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateIntrospectionRequestContext>()
                .UseScopedHandler<ValidateIntrospectingParty>()
                .SetOrder(Introspection.ValidateAuthorizedParty.Descriptor.Order)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateIntrospectionRequestContext context)
        {
            if (context.GenericTokenPrincipal is not { } token || string.IsNullOrEmpty(context.ClientId))
            {
                return;
            }
            var audiences = token.GetAudiences();
            var isAccessToken = token.HasTokenType(TokenTypeIdentifiers.AccessToken);
            // The caller's application is in the cache of clients: only a provider's costs a query (bench/README.md).
            var caller = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken);
            var isProvider = caller is not null
                && (await applications.GetPropertiesAsync(caller, context.CancellationToken)).ContainsKey(DataProviders.ApplicationProperty);
            if (isProvider && await providers.ByClientIdAsync(context.ClientId, context.CancellationToken) is { } provider)
            {
                var scopes = isAccessToken && audiences.Contains(provider.Resource, StringComparer.Ordinal)
                    ? (await providers.ScopesAsync(token.GetScopes(), context.CancellationToken)).Where(s => s.Provider.Id == provider.Id).Select(s => s.Name).ToList()
                    : [];
                if (scopes.Count == 0)
                {
                    Refuse(context);
                    return;
                }
                context.Transaction.SetProperty(ProviderProperty, provider);
                context.Transaction.SetProperty(ScopesProperty, scopes);
                return;
            }
            if (await providers.AnyResourceAsync(audiences, context.CancellationToken)
                || (isAccessToken && !audiences.IsEmpty && !token.HasAudience(context.ClientId) && token.HasClaim(Claims.Private.Presenter) && !token.HasPresenter(context.ClientId))
                || (token.HasTokenType(TokenTypeIdentifiers.RefreshToken) && token.HasClaim(Claims.Private.Presenter) && !token.HasPresenter(context.ClientId)))
            {
                Refuse(context);
            }
        }

        // invalid_token is answered {"active": false}, as for an expired or revoked token (RFC 7662 2.2).
        private static void Refuse(ValidateIntrospectionRequestContext context) =>
            context.Reject(HubErrors.InvalidToken.OAuthError, "The token is not one this client may introspect.");
    }

    /// <summary>
    /// What a provider is told: the consented scopes of its own, the service that asks, and the identifier it is entitled
    /// to (its pairwise <c>sub</c>, or the identity number instead); each answer is a release on record.
    /// </summary>
    public sealed class DescribeRelease(DataProviders providers, HubDbContext db) : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
                .UseScopedHandler<DescribeRelease>()
                .SetOrder(Introspection.AttachApplicationClaims.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(HandleIntrospectionRequestContext context)
        {
            if (context.Transaction.GetProperty<DataProvider>(ProviderProperty) is not { } provider
                || context.Transaction.GetProperty<List<string>>(ScopesProperty) is not { } scopes)
            {
                return;
            }
            var person = context.Subject is { } subject
                ? await db.SubjectIdentifiers.AsNoTracking().Where(s => s.Subject == subject && s.Sector == provider.Sector)
                    .Join(db.People, s => s.PersonId, p => p.Id, (_, p) => new { p.Id, p.IdentityNumber }).FirstOrDefaultAsync(context.CancellationToken)
                : null;
            if (person is null || context.ClientId is not { } clientId)
            {
                // The person was removed since: there is nobody to share anything of.
                context.Reject(HubErrors.InvalidToken.OAuthError, "The token no longer designates a person.");
                return;
            }
            context.Scopes.Clear();
            context.Scopes.UnionWith(scopes);
            context.Username = null;
            // A person the hub knows without an identity number (from a source that gave none) keeps the pairwise sub.
            if (provider.SubjectIdentifier == ProviderSubject.IdentityNumber && person.IdentityNumber is { } identityNumber)
            {
                context.Subject = null;
                context.Claims[HubClaims.IdentityNumber] = identityNumber;
            }
            await providers.RecordReleaseAsync(provider, person.Id, clientId, scopes, context.CancellationToken);
        }
    }
}
