using System.Security.Cryptography;
using IdentityHub.Federation;
using IdentityHub.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Client;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Tests.Federation;

/// <summary>
/// The upstream client signs its client assertions (RS256) and protects its state tokens (ES256, A256KW) with the key
/// active at that moment, among all those it holds (docs/design.md, "Keys").
/// </summary>
public sealed class UpstreamSigningKeyTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task ClientAssertionsAndStateTokens_TakeTheActiveKey_NeverTheNextOne()
    {
        var now = _time.GetUtcNow();
        var (oldRsa, newRsa) = (Rsa("rsa-old"), Rsa("rsa-new"));
        var (oldEc, newEc) = (Ec("ec-old"), Ec("ec-new"));
        var (oldAes, newAes) = (Aes("aes-old"), Aes("aes-new"));
        var activation = now.AddHours(1);
        var schedule = new KeySchedule(_time);
        schedule.Publish([
            Window("rsa-old", "RS256", now.AddDays(-1), activation.AddHours(12)), Window("rsa-new", "RS256", activation, null),
            Window("ec-old", "ES256", now.AddDays(-1), activation.AddHours(12)), Window("ec-new", "ES256", activation, null),
            Window("aes-old", "A256KW", now.AddDays(-1), activation.AddHours(12)), Window("aes-new", "A256KW", activation, null),
        ]);
        // The next keys first: what OpenIddict alone would take.
        var options = new OpenIddictClientOptions();
        options.SigningCredentials.AddRange([newEc, oldEc]);
        options.EncryptionCredentials.AddRange([newAes, oldAes]);
        var registration = new OpenIddictClientRegistration();
        registration.SigningCredentials.AddRange([newRsa, oldRsa]);
        var handler = new StateTokenKeys(new FixedMonitor<OpenIddictServerOptions>(new()), schedule);

        Assert.Equal(("rsa-old", "ec-old", "aes-old"), await ChosenAsync(handler, options, registration));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(("rsa-new", "ec-new", "aes-new"), await ChosenAsync(handler, options, registration));
    }

    private static async Task<(string? Assertion, string? StateSigning, string? StateEncryption)> ChosenAsync(
        StateTokenKeys handler, OpenIddictClientOptions options, OpenIddictClientRegistration registration)
    {
        var transaction = new OpenIddictClientTransaction { Options = options, Registration = registration };
        var assertion = new OpenIddictClientEvents.GenerateTokenContext(transaction)
        {
            TokenType = TokenTypeIdentifiers.Private.ClientAssertion,
            SigningCredentials = registration.SigningCredentials[0],
        };
        await handler.HandleAsync(assertion);
        var state = new OpenIddictClientEvents.GenerateTokenContext(transaction)
        {
            TokenType = TokenTypeIdentifiers.Private.StateToken,
            SigningCredentials = options.SigningCredentials[0],
            EncryptionCredentials = options.EncryptionCredentials[0],
        };
        await handler.HandleAsync(state);
        return (assertion.SigningCredentials?.Key.KeyId, state.SigningCredentials?.Key.KeyId, state.EncryptionCredentials?.Key.KeyId);
    }

    private static KeySchedule.Window Window(string kid, string alg, DateTimeOffset activatesAt, DateTimeOffset? retiresAt) =>
        new(kid, alg, activatesAt, activatesAt, retiresAt);

    private static SigningCredentials Rsa(string kid) => new(new RsaSecurityKey(RSA.Create(2048)) { KeyId = kid }, SecurityAlgorithms.RsaSha256);

    private static SigningCredentials Ec(string kid) => new(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256);

    private static EncryptingCredentials Aes(string kid) =>
        new(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = kid }, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512);

    private sealed class FixedMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
