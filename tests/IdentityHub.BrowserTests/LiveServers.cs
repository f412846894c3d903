using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using IdentityHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;
using SampleRelyingParty;

namespace IdentityHub.BrowserTests;

/// <summary>
/// The real hub (SQLite) and the real sample service, both on Kestrel over loopback HTTP with free ports, and
/// Debian's Chromium driven by Playwright: started once for a test class (xunit class fixture). Each test opens
/// a browser context of its own, so cookies and sessions never leak from one test to the next.
/// </summary>
public sealed class LiveServers : IAsyncLifetime, IAsyncDisposable
{
    public const string ClientId = "sample-e2e";

    /// <summary>Debian's Chromium; browsers cannot be downloaded here, so Playwright never installs its own.</summary>
    private static readonly string ChromiumPath = Environment.GetEnvironmentVariable("HUB_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private static readonly string[] ChromiumArguments =
    [
        "--no-sandbox", // the tests run as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    private HubFactory? _hub;
    private SampleServiceFactory? _service;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private bool _disposed;

    public LiveServers()
    {
        HubUrl = $"http://localhost:{Loopback.FreePort()}";
    }

    public string HubUrl { get; }
    public string ServiceUrl { get; private set; } = "";

    /// <summary>Where the tests leave screenshots for people to look at.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ChromiumPath} (Debian: apt-get install -y chromium), or HUB_TEST_CHROMIUM set to another Chromium.");
        }

        _hub = new HubFactory(HubDatabase.Sqlite, await HubFactory.NewDatabaseAsync(HubDatabase.Sqlite), new() { ["Hub:Issuer"] = HubUrl + "/", ["urls"] = HubUrl });
        _hub.UseKestrel();
        _hub.StartServer();

        _service = await SampleServiceFactory.StartAsync(_hub, HubUrl, ClientId);
        ServiceUrl = _service.Url;

        // The first login warms up both servers (JIT, discovery, keys): give assertions more than the default 5 s.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArguments,
        });
    }

    /// <summary>A fresh browser profile (no cookies) whose Accept-Language is <paramref name="locale"/>.</summary>
    public async Task<IBrowserContext> NewContextAsync(string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1024, Height = 800 },
        });
        context.SetDefaultTimeout(20_000);
        return context;
    }

    /// <summary>
    /// A new national-registry person with a password and no second factor, created through the admin API as an
    /// operator would: a test that enrols an authenticator app has an account no other test uses.
    /// </summary>
    public async Task<RegistryPerson> CreateRegistryPersonAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(HubUrl) };
        await HubFactory.AuthorizeAsAdminAsync(http);
        var suffix = Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();
        var person = new RegistryPerson("mai.tran-" + suffix, "Lantern harbour " + suffix, Digits(12));
        using var response = await http.PostAsJsonAsync("/api/admin/v1/registry/people", new
        {
            identityNumber = person.IdentityNumber,
            givenName = "Mai",
            familyName = "Trần Thị",
            birthdate = "1988-11-02",
            gender = "female",
            birthplace = "79001",
            birthcountry = "VN",
            username = person.Username,
            password = person.Password,
        });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"The admin API did not create the person: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return person;
    }

    /// <summary>Registers a new enterprise named <paramref name="name"/> with <paramref name="person"/> as its legal representative; returns its tax code.</summary>
    public async Task<string> CreateEnterpriseAsync(string name, RegistryPerson person)
    {
        using var http = new HttpClient { BaseAddress = new Uri(HubUrl) };
        await HubFactory.AuthorizeAsAdminAsync(http);
        var taxCode = Digits(10);
        using var enterprise = await http.PostAsJsonAsync("/api/admin/v1/registry/enterprises", new { enterpriseId = taxCode, name });
        using var representative = await http.PostAsJsonAsync($"/api/admin/v1/registry/enterprises/{taxCode}/representatives",
            new { identityNumber = person.IdentityNumber, role = "legal_representative" });
        if (enterprise.StatusCode != HttpStatusCode.Created || representative.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"The admin API did not register the enterprise: {(int)enterprise.StatusCode}, {(int)representative.StatusCode}");
        }
        return taxCode;
    }

    private static string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));

    /// <summary>
    /// Waits for a login to land on the service's profile page. The first login of a person to the service shows the
    /// hub's consent page on the way (the service is registered <c>consent: explicit</c>, as the demo service is);
    /// tests about something else agree there, with the keyboard alone when <paramref name="keyboard"/> is set.
    /// ConsentJourneyTests drives that page itself.
    /// </summary>
    public async Task ArriveAtProfileAsync(IPage page, bool keyboard = false)
    {
        var profile = ServiceUrl + "/profile";
        var consent = HubUrl + "/consent/";
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(
            "^(" + System.Text.RegularExpressions.Regex.Escape(profile) + "$|" + System.Text.RegularExpressions.Regex.Escape(consent) + ")"));
        if (page.Url.StartsWith(consent, StringComparison.Ordinal))
        {
            var agree = page.Locator("button[name=decision][value=continue]");
            if (keyboard)
            {
                await TabToAsync(page, agree);
                await page.Keyboard.PressAsync("Enter");
            }
            else
            {
                await agree.ClickAsync();
            }
        }
        await Assertions.Expect(page).ToHaveURLAsync(profile);
    }

    /// <summary>
    /// Presses <paramref name="key"/> (Tab, or Shift+Tab to go back up), as a keyboard user would, until
    /// <paramref name="target"/> has the focus, <paramref name="presses"/> times at most.
    /// </summary>
    public static async Task TabToAsync(IPage page, ILocator target, int presses = 20, string key = "Tab")
    {
        for (var i = 0; i < presses && !await target.EvaluateAsync<bool>("element => element === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync(key);
        }
        await Assertions.Expect(target).ToBeFocusedAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_browser is not null)
        {
            await _browser.CloseAsync();
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }
    }

}

/// <summary>A registry account made for one test.</summary>
public sealed record RegistryPerson(string Username, string Password, string IdentityNumber);
