using OtpNet;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The person's authenticator app (RFC 6238: SHA-1, 6 digits, 30 s), set up with the key the enrolment page shows.
/// The hub takes a code of the step before or after the current one too, and each step once per account: so the app
/// gives the current step's code unless that step (or a later one) was used, then the next step's, and waits for the
/// clock when even that one is spent. No code is ever refused for being a replay, however fast the tests run.
/// </summary>
internal sealed class AuthenticatorApp
{
    private const int StepSeconds = 30;
    private const int Digits = 6;

    private readonly Totp _totp;
    private long _lastStep = -1;

    public AuthenticatorApp(string setupKey)
    {
        _totp = new Totp(Base32Encoding.ToBytes(setupKey.Replace(" ", "", StringComparison.Ordinal)), StepSeconds, OtpHashMode.Sha1, Digits);
    }

    /// <summary>A code the hub has not seen for this account, valid for at least the next 30 seconds.</summary>
    public async Task<string> NextCodeAsync()
    {
        while (true)
        {
            var now = DateTimeOffset.UtcNow;
            var current = now.ToUnixTimeSeconds() / StepSeconds;
            var step = Math.Max(current, _lastStep + 1);
            if (step <= current + 1)
            {
                _lastStep = step;
                return CodeOf(step);
            }
            var nextStepStarts = DateTimeOffset.FromUnixTimeSeconds((current + 1) * StepSeconds);
            await Task.Delay(nextStepStarts - now + TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Six digits that are none of the codes the hub could accept around now: a wrong code, for certain.</summary>
    public string WrongCode()
    {
        var current = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / StepSeconds;
        var valid = Enumerable.Range(-2, 5).Select(offset => CodeOf(current + offset)).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, 10).Select(digit => new string((char)('0' + digit), Digits)).First(code => !valid.Contains(code));
    }

    private string CodeOf(long step) => _totp.ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(step * StepSeconds).UtcDateTime);
}
