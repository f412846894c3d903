namespace IdentityHub.Sessions;

/// <summary>
/// What back-channel logout needs from the protocol layer, which owns the services' registrations and the signing
/// keys: Sessions may not reach into Protocol, so Protocol registers this.
/// </summary>
public interface IBackchannelLogoutTokens
{
    /// <summary>The registered <c>backchannelLogoutUri</c> of each of <paramref name="clientIds"/> that has one.</summary>
    Task<IReadOnlyDictionary<string, string>> LogoutUrisAsync(IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken);

    /// <summary>A logout token (OIDC Back-Channel Logout 1.0, section 2.4) for <paramref name="clientId"/>, signed now.</summary>
    string Create(string clientId, string sessionId, string subject);
}
