namespace MockIdentityProvider;

/// <summary>Section <c>Mock</c>, e.g. <c>Mock__Acr=eidas3</c> or <c>builder.UseSetting("Mock:Acr", "eidas3")</c>.</summary>
public sealed class MockIdentityProviderOptions
{
    public const string Section = "Mock";
    public const string DefaultUrl = "http://localhost:5100";
    public const string DefaultRedirectUri = "http://localhost:5080/signin/mock-bank";
    public const string DefaultPostLogoutRedirectUri = "http://localhost:5080/signout/mock-bank";

    /// <summary>Published in discovery, tokens and <c>iss</c> of authorization responses; default the first listen address.</summary>
    public Uri? Issuer { get; set; }

    public string ClientId { get; set; } = "identityhub";

    public string ClientSecret { get; set; } = "identityhub-secret";

    // The lists start empty because the configuration binder appends to initial elements instead of replacing them;
    // the defaults are added afterwards, only when nothing was configured.
    public IList<string> RedirectUris { get; } = [];

    public IList<string> PostLogoutRedirectUris { get; } = [];

    /// <summary>The assurance level asserted for everyone but people with their own <see cref="TestPerson.Acr"/>.</summary>
    public string Acr { get; set; } = "eidas2";

    /// <summary>
    /// Serves and advertises <c>end_session_endpoint</c> (OIDC RP-Initiated Logout 1.0); false plays a source that
    /// has none.
    /// </summary>
    public bool EndSession { get; set; } = true;

    /// <summary>Slows discovery, token and userinfo responses, to test the hub against a slow source.</summary>
    public int DelayMilliseconds { get; set; }

    public string DisplayName { get; set; } = "Mock Bank";

    /// <summary><c>Custom</c> renames the identity claims (see <see cref="ClaimNames"/>) to test the hub's claim mappings.</summary>
    public ClaimNaming ClaimNames { get; set; }

    internal void ApplyDefaultAddresses()
    {
        if (RedirectUris.Count == 0)
        {
            RedirectUris.Add(DefaultRedirectUri);
        }
        if (PostLogoutRedirectUris.Count == 0)
        {
            PostLogoutRedirectUris.Add(DefaultPostLogoutRedirectUri);
        }
    }
}

public enum ClaimNaming
{
    Standard,
    Custom,
}

/// <summary>Identity claim names: the standard ones, and the renamed ones of <see cref="ClaimNaming.Custom"/>.</summary>
public static class ClaimNames
{
    public static IReadOnlyList<string> Standard { get; } =
        ["given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email", "phone_number", "identity_number",
            "enterprise_id", "enterprise_name", "enterprise_role"];

    public static IReadOnlyDictionary<string, string> Custom { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["given_name"] = "first_name",
        ["family_name"] = "last_name",
        ["birthdate"] = "birth_date",
        ["gender"] = "sex",
        ["birthplace"] = "place_of_birth",
        ["birthcountry"] = "country_of_birth",
        ["identity_number"] = "national_id",
        ["enterprise_id"] = "company_tax_code",
        ["enterprise_name"] = "company_name",
        ["enterprise_role"] = "company_role",
    };

    public static string Name(string standard, ClaimNaming naming) =>
        naming == ClaimNaming.Custom && Custom.TryGetValue(standard, out var custom) ? custom : standard;
}

/// <summary>
/// A person the source can authenticate. <see cref="Username"/> is the radio value and the <c>login_hint</c>;
/// <see cref="Claims"/> use standard names; <see cref="Subject"/> never changes, so the hub can recognise a returning person.
/// </summary>
public sealed record TestPerson(string Username, string DisplayName, string Subject, IReadOnlyDictionary<string, string> Claims)
{
    /// <summary>The ID token then carries only protocol claims, as some sources do; userinfo has the identity.</summary>
    public bool ClaimsOnlyInUserInfo { get; init; }

    /// <summary>Overrides the configured <see cref="MockIdentityProviderOptions.Acr"/>.</summary>
    public string? Acr { get; init; }

    /// <summary>Overrides the default <c>["pwd","otp"]</c>.</summary>
    public IReadOnlyList<string>? Amr { get; init; }
}

public static class TestPeople
{
    /// <summary>The hub's demo citizen (<c>demo.citizen</c>), same pivot identity and identity number.</summary>
    public static TestPerson AnNguyen { get; } = new("an.nguyen", "An Nguyễn Văn", "mockbank-0001", new Dictionary<string, string>
    {
        ["given_name"] = "An",
        ["family_name"] = "Nguyễn Văn",
        ["birthdate"] = "1990-03-14",
        ["gender"] = "male",
        ["birthplace"] = "01001",
        ["birthcountry"] = "VN",
        ["email"] = "an.nguyen@bank.example",
        ["identity_number"] = "001190000001",
    })
    { Amr = ["pwd", "otp"] };

    /// <summary>The hub's demo director, without identity number: only the pivot identity can reconcile her.</summary>
    public static TestPerson BinhTranNoNumber { get; } = new("binh.tran.nonumber", "Bình Trần Thị (no identity number)", "mockbank-0002", new Dictionary<string, string>
    {
        ["given_name"] = "Bình",
        ["family_name"] = "Trần Thị",
        ["birthdate"] = "1985-11-02",
        ["gender"] = "female",
        ["birthplace"] = "79001",
        ["birthcountry"] = "VN",
    });

    /// <summary>Unknown to the hub's demo data.</summary>
    public static TestPerson ChiLe { get; } = new("chi.le", "Chi Lê Minh", "mockbank-0003", new Dictionary<string, string>
    {
        ["given_name"] = "Chi",
        ["family_name"] = "Lê Minh",
        ["birthdate"] = "2001-05-30",
        ["gender"] = "female",
        ["birthplace"] = "31001",
        ["birthcountry"] = "VN",
        ["identity_number"] = "031301000123",
    });

    /// <summary>No family name nor birth date: not enough to identify anyone.</summary>
    public static TestPerson IncompletePerson { get; } = new("incomplete.person", "Dũng (incomplete identity)", "mockbank-0004", new Dictionary<string, string>
    {
        ["given_name"] = "Dũng",
        ["gender"] = "male",
        ["birthcountry"] = "VN",
    });

    public static TestPerson UserInfoOnly { get; } = new("userinfo.only", "Em Phan Văn (claims from userinfo only)", "mockbank-0005", new Dictionary<string, string>
    {
        ["given_name"] = "Em",
        ["family_name"] = "Phan Văn",
        ["birthdate"] = "1978-01-09",
        ["gender"] = "male",
        ["birthplace"] = "48001",
        ["birthcountry"] = "VN",
    })
    { ClaimsOnlyInUserInfo = true };

    /// <summary>Asserts <c>eidas1</c> whatever the configuration, to test the hub's assurance checks.</summary>
    public static TestPerson LowAssurance { get; } = new("low.assurance", "Giang Hoàng Thu (low assurance)", "mockbank-0006", new Dictionary<string, string>
    {
        ["given_name"] = "Giang",
        ["family_name"] = "Hoàng Thu",
        ["birthdate"] = "1995-07-21",
        ["gender"] = "female",
        ["birthplace"] = "92001",
        ["birthcountry"] = "VN",
        ["email"] = "giang.hoang@bank.example",
        ["phone_number"] = "+84912345678",
        ["identity_number"] = "092195000777",
    })
    { Acr = "eidas1", Amr = ["pwd"] };

    /// <summary>
    /// Says she represents an enterprise, as a business portal's provider would: the hub believes it only from a source
    /// registered for enterprises. Unknown to the hub's demo data, and so is her enterprise.
    /// </summary>
    public static TestPerson HoaDangForBusiness { get; } = new("hoa.dang", "Hoa Đặng Thị (director of Xưởng Gỗ Thử)", "mockbank-0007", new Dictionary<string, string>
    {
        ["given_name"] = "Hoa",
        ["family_name"] = "Đặng Thị",
        ["birthdate"] = "1982-09-12",
        ["gender"] = "female",
        ["birthplace"] = "46001",
        ["birthcountry"] = "VN",
        ["identity_number"] = "046182000555",
        ["enterprise_id"] = "3301234567-002",
        ["enterprise_name"] = "Xưởng Gỗ Thử — Chi nhánh Huế",
        ["enterprise_role"] = "branch_director",
    });

    public static IReadOnlyList<TestPerson> All { get; } = [AnNguyen, BinhTranNoNumber, ChiLe, IncompletePerson, UserInfoOnly, LowAssurance, HoaDangForBusiness];

    public static TestPerson? Find(string? username) => All.FirstOrDefault(p => p.Username == username);
}
