using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using IdentityHub.Data;
using IdentityHub.Registry;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace IdentityHub.Tests.Infrastructure;

/// <summary>Registry people made for one test through the admin API, and what their authenticator app would show.</summary>
public static partial class RegistryPeople
{
    public const string Password = "Correct-Horse-Battery-9";

    public sealed record Created(string Username, string IdentityNumber);

    public static async Task<Created> CreateAsync(HubFactory hub)
    {
        var identityNumber = "0" + RandomNumberGenerator.GetInt32(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture) + "123";
        var username = "person." + Guid.NewGuid().ToString("N")[..10];
        using var admin = await hub.CreateAdminClientAsync();
        using var response = await admin.PostAsJsonAsync("/api/admin/v1/registry/people", new
        {
            identityNumber,
            givenName = "Hoa",
            familyName = "Phạm Thị",
            birthdate = "1992-04-05",
            gender = "female",
            birthplace = "01001",
            birthcountry = "VN",
            username,
            password = Password,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return new Created(username, identityNumber);
    }

    /// <summary>
    /// A registry account with <paramref name="password"/> written straight to the database: quicker than the admin
    /// API, for tests about signing in rather than about registering.
    /// </summary>
    public static async Task<string> InsertAsync(HubFactory hub, string prefix, string password = "Demo-Passw0rd!")
    {
        var username = prefix + "." + Guid.NewGuid().ToString("N")[..8];
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var person = new Person
        {
            Id = Guid.NewGuid(),
            Pivot = new() { GivenName = "Thử", FamilyName = "Nghiệm", Birthdate = new DateOnly(1980, 2, 3) },
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var account = new RegistryAccount { PersonId = person.Id, Username = username, PasswordHash = "", CreatedAt = DateTimeOffset.UtcNow };
        account.PasswordHash = new PasswordHasher<RegistryAccount>().HashPassword(account, password);
        db.People.Add(person);
        db.RegistryAccounts.Add(account);
        await db.SaveChangesAsync();
        return username;
    }

    /// <summary>
    /// A login for a service asking <c>eidas2</c>, through the registry's password: the page that comes next (the
    /// second-factor page, or the enrolment for a person without a factor; the sign-in page again on a refusal).
    /// </summary>
    public static async Task<Browser.Page> Eidas2SignInAsync(Browser browser, string username, OidcClient? client = null)
    {
        var signIn = await browser.NavigateAsync((client ?? OidcClient.Demo()).AuthorizeUrl(extra: new() { ["acr_values"] = "eidas2" }));
        Assert.True(signIn.Url.StartsWith("/registry/signin", StringComparison.Ordinal), $"{signIn.Status} {signIn.Location} {signIn.Html}");
        return await browser.SubmitAsync(signIn, new() { ["Input.Username"] = username, ["Input.Password"] = Password });
    }

    /// <summary>
    /// Sets up <paramref name="username"/>'s authenticator app in an <c>eidas2</c> login, as the person would, with a code
    /// of <paramref name="time"/>'s step: the secret and the ten recovery codes.
    /// </summary>
    public static async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnrolAsync(HubFactory hub, string username, TimeProvider time)
    {
        using var browser = hub.CreateBrowser();
        var enrolment = await Eidas2SignInAsync(browser, username);
        var secret = SetupKey(enrolment.Html);
        var codes = await browser.SubmitAsync(enrolment, new() { ["Code"] = Code(secret, time.GetUtcNow()) });
        var recovery = RecoveryCodes(codes.Html);
        Assert.True((await browser.SubmitAsync(codes, [])).IsRedirect);
        return (secret, recovery);
    }

    /// <summary>The code an authenticator app with <paramref name="base32Secret"/> shows at <paramref name="at"/>.</summary>
    public static string Code(string base32Secret, DateTimeOffset at) =>
        new Totp(Base32Encoding.ToBytes(base32Secret.Replace(" ", "", StringComparison.Ordinal))).ComputeTotp(at.UtcDateTime);

    /// <summary>The setup key the enrolment page shows (without its spaces).</summary>
    public static string SetupKey(string html) =>
        SetupKeyInput().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["key"].Value).Replace(" ", "", StringComparison.Ordinal)
            : throw new InvalidOperationException("The page shows no setup key.");

    /// <summary>The recovery codes a page shows.</summary>
    public static IReadOnlyList<string> RecoveryCodes(string html) => [.. RecoveryCode().Matches(html).Select(m => m.Groups["code"].Value)];

    [GeneratedRegex("id=\"setup-key\"[^>]*value=\"(?<key>[^\"]+)\"")]
    private static partial Regex SetupKeyInput();

    [GeneratedRegex("<li><code>(?<code>[A-Z0-9]{5}-[A-Z0-9]{5})</code></li>")]
    private static partial Regex RecoveryCode();
}
