using System.Collections.Immutable;
using System.Security.Claims;
using IdentityHub.Data;
using IdentityHub.Errors;
using IdentityHub.Hosting;
using IdentityHub.Localization;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using OpenIddict.Validation;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace IdentityHub.Protocol;

/// <summary>The hub's additions to OpenIddict's pipeline, each placed relative to a built-in handler.</summary>
internal static class ProtocolHandlers
{
    public static ImmutableArray<OpenIddictServerHandlerDescriptor> All { get; } =
    [
        RefuseMalformedClientCredentials<ValidateTokenRequestContext>.Descriptor,
        RefuseMalformedClientCredentials<ValidateIntrospectionRequestContext>.Descriptor,
        RefuseMalformedClientCredentials<ValidateRevocationRequestContext>.Descriptor,
        RequireStateNonceAndAllowedScopes.Descriptor,
        RedirectErrorsToTrustedRedirectUri.Descriptor,
        IssueClientCredentialsPrincipal.Descriptor,
        DescribeHubInDiscovery.Descriptor,
        KeepNoEntryForIdentityTokens.Descriptor,
        KeepHubInternalsOutOfTokens.Descriptor,
        FindAccessTokenEntryByJti.Descriptor,
        SignWithActiveKeys.Descriptor,
        RefuseRefreshTokenRedeemedTwiceAtOnce.Descriptor,
        RevokeAuthorizationOnReplay.Descriptor,
    ];

    /// <summary>
    /// Credentials in a Basic header are decoded by OpenIddict, after the request guard has checked the rest of the
    /// request (docs/design.md, "Malformed input"): one holding a control character is refused here, before any
    /// handler looks the client up with it (PostgreSQL refuses NUL in text).
    /// </summary>
    public sealed class RefuseMalformedClientCredentials<TContext> : IOpenIddictServerHandler<TContext> where TContext : BaseValidatingContext
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
                .UseSingletonHandler<RefuseMalformedClientCredentials<TContext>>()
                // Before OpenIddict's first validation handler (int.MinValue + 100,000): nothing has used the client id yet.
                .SetOrder(int.MinValue + 50_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(TContext context)
        {
            if (context.Transaction.Request is { } request && (!RequestText.IsAcceptable(request.ClientId) || !RequestText.IsAcceptable(request.ClientSecret)))
            {
                context.Reject(HubErrors.InvalidRequest.OAuthError, "The client credentials hold a control character.");
            }
            return default;
        }
    }

    /// <summary>
    /// <c>state</c> and <c>nonce</c> are mandatory here (docs/integration.md, "Endpoints"), so is PKCE for a public
    /// client, and a scope the client is not allowed is <c>invalid_scope</c> (not OpenIddict's <c>invalid_request</c>),
    /// sent back to the client.
    /// </summary>
    public sealed class RequireStateNonceAndAllowedScopes(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
                .UseScopedHandler<RequireStateNonceAndAllowedScopes>()
                .SetOrder(Authentication.ValidateClientRedirectUri.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
        {
            if (string.IsNullOrEmpty(context.Request.State))
            {
                context.Reject(HubErrors.InvalidRequest.OAuthError, "The mandatory 'state' parameter is missing.");
                return;
            }
            if (string.IsNullOrEmpty(context.Request.Nonce))
            {
                context.Reject(HubErrors.InvalidRequest.OAuthError, "The mandatory 'nonce' parameter is missing.");
                return;
            }
            if (AssuranceLevels.EssentialAcrValues((string?)context.Request[Parameters.Claims]) is null)
            {
                context.Reject(HubErrors.InvalidRequest.OAuthError, "The 'claims' parameter must be a JSON object (OpenID Connect Core 5.5).");
                return;
            }
            var application = await applications.FindByClientIdAsync(context.ClientId!);
            // PKCE is required of public clients; a confidential client may send it and is then held to it. Its code
            // is bound to the login by the required nonce and useless without its secret (docs/integration.md, "Endpoints").
            if (string.IsNullOrEmpty(context.Request.CodeChallenge)
                && (application is null || await applications.HasClientTypeAsync(application, ClientTypes.Public)))
            {
                context.Reject(HubErrors.InvalidRequest.OAuthError, "A public client must send 'code_challenge' with 'code_challenge_method=S256' (PKCE).");
                return;
            }
            // A scope the hub does not serve itself can only be a data provider's: OpenIddict then finds it among the
            // registered scopes, and DataAccess.ValidateResources holds it to its resource.
            foreach (var scope in context.Request.GetScopes())
            {
                var allowed = (ScopesAndClaims.IsServed(scope) || !ScopesAndClaims.Names.Contains(scope))
                    && (scope == Scopes.OpenId || (application is not null && await applications.HasPermissionAsync(application, Permissions.Prefixes.Scope + scope)));
                if (!allowed)
                {
                    context.Reject(HubErrors.InvalidScope.OAuthError, $"The scope '{scope}' is not allowed for this service.");
                    return;
                }
            }
        }
    }

    /// <summary>
    /// OpenIddict shows every validation error on its own page. RFC 6749 (4.1.2.1) wants only errors about the
    /// client or its redirect URI kept at the hub; any other error goes back to the service, once the client
    /// and the exact redirect URI are known to belong together. It goes back the way the request implies, and in
    /// the query when the request implies none (a missing or unknown <c>response_type</c>): OpenIddict chose no
    /// response mode, having no redirect URI then.
    /// </summary>
    public sealed class RedirectErrorsToTrustedRedirectUri(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
                .UseScopedHandler<RedirectErrorsToTrustedRedirectUri>()
                .SetOrder(Authentication.InferResponseMode.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
        {
            if (!string.IsNullOrEmpty(context.RedirectUri) || string.IsNullOrEmpty(context.Response.Error)
                || context.Request is not { ClientId: { Length: > 0 } clientId, RedirectUri: { Length: > 0 } redirectUri }
                || context.Response.Error == HubErrors.InvalidClient.OAuthError)
            {
                return;
            }
            if (await applications.FindByClientIdAsync(clientId) is { } application
                && await applications.ValidateRedirectUriAsync(application, redirectUri))
            {
                context.RedirectUri = redirectUri;
                context.ResponseMode = context.Request.IsFormPostResponseMode() ? ResponseModes.FormPost
                    : context.Request.IsFragmentResponseMode() ? ResponseModes.Fragment
                    : ResponseModes.Query;
            }
        }
    }

    /// <summary>A service acting on its own behalf: the subject is the client itself, and no person is involved.</summary>
    public sealed class IssueClientCredentialsPrincipal : IOpenIddictServerHandler<HandleTokenRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                .UseSingletonHandler<IssueClientCredentialsPrincipal>()
                .SetOrder(Exchange.AttachPrincipal.Descriptor.Order + 1_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(HandleTokenRequestContext context)
        {
            if (!context.Request.IsClientCredentialsGrantType())
            {
                return default;
            }
            var identity = new ClaimsIdentity(authenticationType: "client_credentials", nameType: Claims.Name, roleType: Claims.Role);
            identity.SetClaim(Claims.Subject, context.ClientId);
            identity.SetScopes(context.Request.GetScopes());
            identity.SetDestinations(static _ => [Destinations.AccessToken]);
            context.SignIn(new ClaimsPrincipal(identity));
            return default;
        }
    }

    /// <summary>Discovery tells the truth about the hub: pairwise subjects, S256 only, eIDAS levels, the languages of its pages.</summary>
    public sealed class DescribeHubInDiscovery : IOpenIddictServerHandler<HandleConfigurationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                .UseSingletonHandler<DescribeHubInDiscovery>()
                .SetOrder(Discovery.AttachAdditionalMetadata.Descriptor.Order + 1_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(HandleConfigurationRequestContext context)
        {
            context.SubjectTypes.Clear();
            context.SubjectTypes.Add(SubjectTypes.Pairwise);
            // Only the prompt values the hub acts on (select_account has no meaning: one browser, one person).
            context.PromptValues.IntersectWith([PromptValues.None, PromptValues.Login, PromptValues.Consent]);
            context.CodeChallengeMethods.Clear();
            context.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
            context.Metadata["acr_values_supported"] = ImmutableArray.CreateRange<string?>(AssuranceLevels.All);
            context.Metadata[Metadata.UiLocalesSupported] = ImmutableArray.CreateRange<string?>(LocalizationSetup.SupportedCultures);
            context.Metadata[Metadata.AuthorizationResponseIssParameterSupported] = true;
            // Honoured within the scopes a service is allowed, and for an essential acr (docs/integration.md, "Scopes and claims").
            context.Metadata[Metadata.ClaimsParameterSupported] = true;
            // Logout tokens carry sid (docs/integration.md, "Logout").
            context.Metadata["backchannel_logout_supported"] = true;
            context.Metadata["backchannel_logout_session_supported"] = true;
            return default;
        }
    }

    /// <summary>
    /// An identity token is a signed statement to the client, never presented back as a credential: nothing can be
    /// revoked or redeemed with it (an <c>id_token_hint</c> is checked by its signature). Its database row would only
    /// cost an INSERT per sign-in and refresh, so it gets none; codes, access and refresh tokens keep theirs
    /// (revocation, introspection, replay detection).
    /// </summary>
    public sealed class KeepNoEntryForIdentityTokens : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                .UseSingletonHandler<KeepNoEntryForIdentityTokens>()
                .SetOrder(Protection.CreateTokenEntry.Descriptor.Order - 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(GenerateTokenContext context)
        {
            if (context.TokenType == TokenTypeIdentifiers.IdentityToken)
            {
                context.CreateTokenEntry = false;
            }
            return default;
        }
    }

    /// <summary>
    /// No claim of the hub's own internals reaches a service (docs/design.md, "Scopes and claims"). OpenIddict writes
    /// its private claims (<c>oi_au_id</c>, the authorization; <c>oi_tkn_id</c>, the token's row; <c>oi_prst</c>, the
    /// presenters) into the ID and access tokens, and the hub carries its own (<c>hub_</c>) on the principal: all stay out
    /// of those two tokens. Codes and refresh tokens, encrypted and read by the hub alone, keep them. What the hub needs
    /// back from an access token survives in standard claims: its row id becomes its <c>jti</c> (the token's
    /// identifier, RFC 7519 4.1.7, which RFC 9068 requires), read back by <see cref="FindAccessTokenEntryByJti"/>, and the
    /// presenter is <c>client_id</c>, which OpenIddict reads by itself. The authorization is found from the row.
    /// </summary>
    public sealed class KeepHubInternalsOutOfTokens : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public const string HubPrefix = "hub_";

        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                .UseSingletonHandler<KeepHubInternalsOutOfTokens>()
                .SetOrder(Protection.AttachTokenMetadata.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public static bool IsInternal(string type) =>
            type.StartsWith("oi_", StringComparison.Ordinal) || type.StartsWith(HubPrefix, StringComparison.Ordinal);

        public ValueTask HandleAsync(GenerateTokenContext context)
        {
            if (context.TokenType is not (TokenTypeIdentifiers.AccessToken or TokenTypeIdentifiers.IdentityToken))
            {
                return default;
            }
            var descriptor = context.SecurityTokenDescriptor;
            if (descriptor.Subject is { } subject)
            {
                descriptor.Subject = new ClaimsIdentity(subject.Claims.Where(c => !IsInternal(c.Type)), subject.AuthenticationType, subject.NameClaimType, subject.RoleClaimType);
            }
            if (descriptor.Claims is { } claims)
            {
                descriptor.Claims = claims.Where(c => !IsInternal(c.Key)).ToDictionary(StringComparer.Ordinal);
            }
            if (context.TokenType == TokenTypeIdentifiers.AccessToken && context.Principal.GetTokenId() is { } tokenId)
            {
                descriptor.Claims ??= new Dictionary<string, object>(StringComparer.Ordinal);
                descriptor.Claims[Claims.JwtId] = tokenId;
            }
            return default;
        }
    }

    /// <summary>
    /// An access token presented to the hub (userinfo, introspection, revocation) is tied to its row by its <c>jti</c>
    /// (<see cref="KeepHubInternalsOutOfTokens"/>): OpenIddict then checks the row is still valid, and finds the
    /// authorization from it. Every access token the hub issues has a row; one without an identifier is refused, since
    /// OpenIddict would skip that check for it.
    /// </summary>
    public sealed class FindAccessTokenEntryByJti : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .UseSingletonHandler<FindAccessTokenEntryByJti>()
                .SetOrder(Protection.MapInternalClaims.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ValidateTokenContext context)
        {
            if (!TryResolve(context.Principal))
            {
                context.Reject(HubErrors.InvalidToken.OAuthError, "The access token has no identifier.");
            }
            return default;
        }

        /// <summary>False for an access token that names no row.</summary>
        public static bool TryResolve(ClaimsPrincipal? principal)
        {
            if (principal is null || !principal.HasTokenType(TokenTypeIdentifiers.AccessToken) || principal.GetTokenId() is not null)
            {
                return true;
            }
            if (principal.GetClaim(Claims.JwtId) is not { Length: > 0 } jti)
            {
                return false;
            }
            principal.SetTokenId(jti);
            return true;
        }
    }

    /// <summary>The same for the bearer tokens of the admin API, read by OpenIddict's validation stack.</summary>
    public sealed class FindBearerTokenEntryByJti : IOpenIddictValidationHandler<OpenIddictValidationEvents.ValidateTokenContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
            = OpenIddictValidationHandlerDescriptor.CreateBuilder<OpenIddictValidationEvents.ValidateTokenContext>()
                .UseSingletonHandler<FindBearerTokenEntryByJti>()
                .SetOrder(OpenIddictValidationHandlers.Protection.MapInternalClaims.Descriptor.Order + 1)
                .SetType(OpenIddictValidationHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(OpenIddictValidationEvents.ValidateTokenContext context)
        {
            if (!FindAccessTokenEntryByJti.TryResolve(context.Principal))
            {
                context.Reject(HubErrors.InvalidToken.OAuthError, "The access token has no identifier.");
            }
            return default;
        }
    }

    /// <summary>
    /// A refresh token used twice is refused and burns its family (RFC 9700 4.14.2), also when the two uses arrive at
    /// the same moment: OpenIddict refuses a second use it sees as already redeemed, but lets through one that loses the
    /// race to mark it redeemed. Here that one is refused too, and the authorization is revoked with all its tokens, so
    /// the refresh token handed to the winner stops working as well (one of the two holders may be a thief).
    /// </summary>
    public sealed class RefuseRefreshTokenRedeemedTwiceAtOnce(
        LostRedemptions lost, IOpenIddictTokenManager tokens, HubDbContext db) : IOpenIddictServerHandler<ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                .UseScopedHandler<RefuseRefreshTokenRedeemedTwiceAtOnce>()
                .SetOrder(RedeemTokenEntry.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessSignInContext context)
        {
            if (context.EndpointType != OpenIddictServerEndpointType.Token || !context.Request.IsRefreshTokenGrantType())
            {
                return;
            }
            var authentication = context.Transaction.GetProperty<ProcessAuthenticationContext>(typeof(ProcessAuthenticationContext).FullName!);
            var presented = authentication?.RefreshTokenPrincipal;
            if (presented?.GetTokenId() is not { } tokenId || !lost.Contains(tokenId))
            {
                return;
            }
            if (presented.GetAuthorizationId() is { } authorizationId)
            {
                await tokens.RevokeByAuthorizationIdAsync(authorizationId);
                await RevokeAuthorizationAsync(db, authorizationId);
            }
            context.Reject(HubErrors.InvalidGrant.OAuthError, "The specified refresh token has already been redeemed.");
        }
    }

    /// <summary>
    /// Each token is signed and encrypted with the key active at this moment (docs/design.md, "Keys"): OpenIddict holds
    /// every published key and would take the first. Codes and refresh tokens are encrypted and read by the hub alone:
    /// no client ever checks their signature. They are signed with the hub's ES256 key (about a tenth of the CPU of an
    /// RS256 signature). ID and access tokens with the algorithm the service was registered with (<see cref="TokenSigning"/>:
    /// RS256, which every client accepts, unless ES256 was chosen); anything else with RS256.
    /// </summary>
    public sealed class SignWithActiveKeys(KeySchedule schedule, IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<GenerateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                .UseScopedHandler<SignWithActiveKeys>()
                .SetOrder(Protection.AttachSecurityCredentials.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(GenerateTokenContext context)
        {
            var algorithm = context.TokenType switch
            {
                TokenTypeIdentifiers.RefreshToken or TokenTypeIdentifiers.Private.AuthorizationCode => Microsoft.IdentityModel.Tokens.SecurityAlgorithms.EcdsaSha256,
                TokenTypeIdentifiers.AccessToken => await ChosenAlgorithmAsync(context, TokenSigning.AccessTokenProperty),
                TokenTypeIdentifiers.IdentityToken => await ChosenAlgorithmAsync(context, TokenSigning.IdTokenProperty),
                _ => Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSha256,
            };
            context.SigningCredentials = schedule.Signing(context.Options.SigningCredentials, algorithm) ?? context.SigningCredentials;
            if (context.EncryptionCredentials is not null)
            {
                context.EncryptionCredentials = schedule.Encrypting(context.Options.EncryptionCredentials, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.Aes256KW)
                    ?? context.EncryptionCredentials;
            }
        }

        private async ValueTask<string> ChosenAlgorithmAsync(GenerateTokenContext context, string property)
        {
            var clientId = context.ClientId ?? context.Principal?.GetPresenters().FirstOrDefault();
            var application = string.IsNullOrEmpty(clientId) ? null : await applications.FindByClientIdAsync(clientId, context.CancellationToken);
            return application is null
                ? TokenSigning.Default
                : TokenSigning.Of(await applications.GetPropertiesAsync(application, context.CancellationToken), property);
        }
    }

    /// <summary>
    /// A code or refresh token presented again after its use: OpenIddict refuses it and revokes the tokens issued so far
    /// under its authorization, but not the authorization itself, so tokens the first use is still issuing at that
    /// moment would stay valid. The authorization is revoked too, and a refresh token issued under it later is refused.
    /// </summary>
    public sealed class RevokeAuthorizationOnReplay(IOpenIddictTokenManager tokens, HubDbContext db) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; }
            = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .UseScopedHandler<RevokeAuthorizationOnReplay>()
                .SetOrder(Protection.ValidateTokenEntry.Descriptor.Order - 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            if (context.TokenId is not { } tokenId || context.AuthorizationId is not { } authorizationId
                || context.Principal is not { } principal
                || !principal.HasTokenType(TokenTypeIdentifiers.RefreshToken) && !principal.HasTokenType(TokenTypeIdentifiers.Private.AuthorizationCode))
            {
                return;
            }
            // Read once here; OpenIddict's own check that follows finds it in this request's context.
            if (await tokens.FindByIdAsync(tokenId) is { } token && await tokens.HasStatusAsync(token, Statuses.Redeemed))
            {
                await RevokeAuthorizationAsync(db, authorizationId);
            }
        }
    }

    /// <summary>
    /// One statement, whatever the row's concurrency token: the request that is issuing tokens under this authorization
    /// may be changing it at the same moment, and OpenIddict's own revocation would then fail and leave it valid.
    /// </summary>
    private static Task<int> RevokeAuthorizationAsync(HubDbContext db, string authorizationId) =>
        db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Where(a => a.Id == authorizationId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Statuses.Revoked).SetProperty(a => a.ConcurrencyToken, Guid.NewGuid().ToString()));
}
