namespace IdentityHub.Pages.Registry;

public sealed class SignInInput
{
    public string? Username { get; set; }
    public string? Password { get; set; }
}

public sealed record SignInView(string? Problem = null, string? UsernameError = null, string? PasswordError = null);
