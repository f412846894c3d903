namespace IdentityHub.Pages.Registry;

/// <summary>
/// One passkey ceremony on a page (wwwroot/js/passkeys.js runs it): which kind, the two endpoints it posts to, and the
/// resource keys of its button and of the sentence before it.
/// </summary>
public sealed record PasskeyForm(string Kind, string OptionsPath, string FinishPath, string ButtonKey, string? IntroKey = null)
{
    public const string Register = "register";

    public static PasskeyForm SignIn(string journey) => new("signin",
        "/registry/passkeys/signin/options" + Query(journey), "/registry/passkeys/signin" + Query(journey), "Passkey.SignIn", "Passkey.SignInIntro");

    public static PasskeyForm SecondFactor(string journey) => new("second-factor",
        "/registry/passkeys/second-factor/options" + Query(journey), "/registry/passkeys/second-factor" + Query(journey), "Passkey.Verify");

    public static PasskeyForm Registration() => new(Register,
        "/registry/passkeys/registration/options", "/registry/passkeys/registration", "Passkey.Add");

    private static string Query(string journey) => "?journey=" + Uri.EscapeDataString(journey);
}
