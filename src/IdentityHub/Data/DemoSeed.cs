using IdentityHub.DataSharing;
using IdentityHub.Enterprises;
using IdentityHub.Protocol;
using IdentityHub.Registry;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdentityHub.Data;

/// <summary>The demo data of docs/integration.md ("Configuration and operations"). Safe to run at every start: it only adds what is missing.</summary>
internal static class DemoSeed
{
    public const string SampleClientId = "sample-service";
    public const string SampleClientSecret = "sample-service-secret";
    public const string DemoPassword = "Demo-Passw0rd!";
    public const string DemoEnterpriseId = "0101234567";

    /// <summary>The sample service's scopes (CONTRACT section 7), the tax office's declared income among them.</summary>
    private static readonly string[] SampleScopes = ["openid", "profile", "birth", "email", "enterprise", "offline_access", TaxIncomeScope];

    /// <summary>The demo data provider (CONTRACT section 7), served by src/SampleDataProvider.</summary>
    public const string TaxOfficeId = "tax-office";
    public const string TaxOfficeSecret = "tax-office-secret";
    public const string TaxOfficeResource = "http://localhost:5095";
    public const string TaxIncomeScope = "tax_income";

    /// <summary>The demo administrator's authenticator key (CONTRACT section 7; Development only, printed in the README).</summary>
    public const string DemoAdminTotpKey = "JBSWY3DPEHPK3PXP";

    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();

        if (await applications.FindByClientIdAsync(SampleClientId, cancellationToken) is null)
        {
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = SampleClientId,
                ClientSecret = SampleClientSecret,
                ClientType = ClientTypes.Confidential,
                ConsentType = ConsentTypes.Explicit,
                DisplayName = "Dịch vụ công mẫu",
                RedirectUris = { new Uri("http://localhost:5090/signin-oidc") },
                PostLogoutRedirectUris = { new Uri("http://localhost:5090/signout-callback-oidc") },
            };
            ClientPermissions.Grant(descriptor, ["authorization_code", "refresh_token"], SampleScopes);
            await applications.CreateAsync(descriptor, cancellationToken);
        }
        else if (await applications.FindByClientIdAsync(SampleClientId, cancellationToken) is { } existing
            && (!await applications.HasPermissionAsync(existing, Permissions.Prefixes.Scope + ScopesAndClaims.Enterprise, cancellationToken)
                || !await applications.HasPermissionAsync(existing, Permissions.Prefixes.Scope + TaxIncomeScope, cancellationToken)))
        {
            // A demo database made before the sample service could ask whom the person acts for, or for the tax office's data.
            var descriptor = new OpenIddictApplicationDescriptor();
            await applications.PopulateAsync(descriptor, existing, cancellationToken);
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + ScopesAndClaims.Enterprise);
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + TaxIncomeScope);
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        await EnsureTaxOfficeAsync(scope.ServiceProvider, db, now, cancellationToken);
        if (!await db.RelyingParties.AnyAsync(r => r.ClientId == SampleClientId, cancellationToken))
        {
            db.RelyingParties.Add(new RelyingParty
            {
                ClientId = SampleClientId,
                SectorIdentifier = "localhost",
                Consent = ConsentMode.Explicit,
                BackchannelLogoutUri = new Uri("http://localhost:5090/backchannel-logout"),
            });
        }

        var citizen = await EnsurePersonAsync(db, now, "demo.citizen", new Person
        {
            IdentityNumber = "001190000001",
            Pivot = new PivotIdentity
            {
                GivenName = "An",
                FamilyName = "Nguyễn Văn",
                Birthdate = new DateOnly(1990, 3, 14),
                Gender = Gender.Male,
                Birthplace = "01001",
                Birthcountry = "VN",
            },
            PreferredUsername = "Nguyễn Văn An",
            Email = "demo.citizen@example.vn",
            EmailVerified = true,
            PhoneNumber = "+84901234567",
            PhoneNumberVerified = true,
            Address = new PostalAddress
            {
                StreetAddress = "1 Tràng Tiền",
                Locality = "Hoàn Kiếm",
                Region = "Hà Nội",
                PostalCode = "100000",
                Country = "VN",
            },
        }, cancellationToken);
        _ = citizen;

        var director = await EnsurePersonAsync(db, now, "demo.director", new Person
        {
            IdentityNumber = "001185000002",
            Pivot = new PivotIdentity
            {
                GivenName = "Bình",
                FamilyName = "Trần Thị",
                Birthdate = new DateOnly(1985, 11, 2),
                Gender = Gender.Female,
                Birthplace = "79001",
                Birthcountry = "VN",
            },
            PreferredUsername = "Trần Thị Bình",
            Email = "demo.director@example.vn",
            EmailVerified = true,
        }, cancellationToken);

        var admin = await EnsurePersonAsync(db, now, "demo.admin", new Person
        {
            IdentityNumber = "001180000003",
            Pivot = new PivotIdentity
            {
                GivenName = "Cường",
                FamilyName = "Lê Văn",
                Birthdate = new DateOnly(1980, 6, 21),
                Gender = Gender.Male,
                Birthplace = "01001",
                Birthcountry = "VN",
            },
            PreferredUsername = "Lê Văn Cường",
            Email = "demo.admin@example.vn",
            EmailVerified = true,
        }, cancellationToken);
        // Its administrator role comes with the admin console; the key lets it reach eidas2 today.
        await scope.ServiceProvider.GetRequiredService<Authenticator>().SetKnownSecretAsync(admin, DemoAdminTotpKey, cancellationToken);

        if (!await db.Enterprises.AnyAsync(e => e.Id == DemoEnterpriseId, cancellationToken))
        {
            db.Enterprises.Add(new Enterprise { Id = DemoEnterpriseId, Name = "Công ty TNHH Mẫu Việt", CreatedAt = now });
        }
        if (!await db.Representatives.AnyAsync(r => r.EnterpriseId == DemoEnterpriseId && r.PersonId == director, cancellationToken))
        {
            db.Representatives.Add(new Representative { EnterpriseId = DemoEnterpriseId, PersonId = director, Role = "legal_representative", CreatedAt = now });
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// The tax office, entitled to the identity number (its records are keyed by it), with a known secret: Development
    /// only, like every demo secret (docs/integration.md, "Data providers").
    /// </summary>
    private static async Task EnsureTaxOfficeAsync(IServiceProvider services, HubDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await db.DataProviders.AnyAsync(p => p.Id == TaxOfficeId, cancellationToken))
        {
            return;
        }
        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync(TaxOfficeId, cancellationToken) is null)
        {
            await applications.CreateAsync(DataProviders.CredentialsDescriptor(TaxOfficeId, TaxOfficeSecret, "Cục Thuế"), cancellationToken);
        }
        var scopes = services.GetRequiredService<IOpenIddictScopeManager>();
        if (await scopes.FindByNameAsync(TaxIncomeScope, cancellationToken) is null)
        {
            await scopes.CreateAsync(DataProviders.ScopeDescriptor(TaxIncomeScope, "Thu nhập đã khai", "Declared income", "Revenus déclarés", TaxOfficeResource),
                cancellationToken);
        }
        db.DataProviders.Add(new DataProvider
        {
            Id = TaxOfficeId,
            DisplayName = "Cục Thuế",
            Resource = TaxOfficeResource,
            SubjectIdentifier = ProviderSubject.IdentityNumber,
            IdentityNumberEntitledAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task<Guid> EnsurePersonAsync(HubDbContext db, DateTimeOffset now, string username, Person person, CancellationToken cancellationToken)
    {
        var existing = await db.RegistryAccounts.Where(a => a.Username == username).Select(a => (Guid?)a.PersonId).FirstOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            return id;
        }
        person.Id = Guid.CreateVersion7(now);
        person.CreatedAt = now;
        db.People.Add(person);
        var account = new RegistryAccount { PersonId = person.Id, Username = username, PasswordHash = "", CreatedAt = now };
        account.PasswordHash = new PasswordHasher<RegistryAccount>().HashPassword(account, DemoPassword);
        db.RegistryAccounts.Add(account);
        await db.SaveChangesAsync(cancellationToken);
        return person.Id;
    }
}
