using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Admin;

/// <summary>The national-registry endpoints of the admin API, on each database provider.</summary>
public abstract class RegistryApiTests(HubFactory hub)
{
    private const string People = "/api/admin/v1/registry/people";
    private const string Enterprises = "/api/admin/v1/registry/enterprises";

    [Fact]
    public async Task Person_Created_Is201WithTheStoredPersonAndLowerCaseUsername()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["username"] = ((string)body["username"]!).ToUpperInvariant();

        using var response = await http.PostAsJsonAsync(People, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{People}/{body["identityNumber"]}", response.Headers.Location?.OriginalString);
        var person = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(body["identityNumber"], person.GetProperty("identityNumber").GetString());
        Assert.Equal("Cường", person.GetProperty("givenName").GetString());
        Assert.Equal("Lê Văn", person.GetProperty("familyName").GetString());
        Assert.Equal("1992-07-21", person.GetProperty("birthdate").GetString());
        Assert.Equal("male", person.GetProperty("gender").GetString());
        Assert.Equal("48001", person.GetProperty("birthplace").GetString());
        Assert.Equal("VN", person.GetProperty("birthcountry").GetString());
        Assert.Equal("cuong@example.vn", person.GetProperty("email").GetString());
        Assert.Equal("+84912345678", person.GetProperty("phoneNumber").GetString());
        Assert.Equal(((string)body["username"]!).ToLowerInvariant(), person.GetProperty("username").GetString());
        Assert.True(person.GetProperty("createdAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task Person_Read_ReturnsWhatWasWritten()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        using var created = await http.PostAsJsonAsync(People, body);
        var written = await created.Content.ReadFromJsonAsync<JsonElement>();

        using var response = await http.GetAsync($"{People}/{body["identityNumber"]}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = await response.Content.ReadFromJsonAsync<JsonElement>();
        foreach (var field in new[] { "identityNumber", "givenName", "familyName", "birthdate", "gender", "birthplace", "birthcountry", "email", "phoneNumber", "username" })
        {
            Assert.Equal(written.GetProperty(field).GetString(), read.GetProperty(field).GetString());
        }
        Assert.Equal(written.GetProperty("createdAt").GetDateTimeOffset(), read.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Person_WithOnlyRequiredFields_IsCreatedWithTheOthersNull()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["birthplace"] = null;
        body["birthcountry"] = "";
        body.Remove("email");
        body.Remove("phoneNumber");
        body["birthdate"] = "1900-01-01";
        body["gender"] = "female";

        using var response = await http.PostAsJsonAsync(People, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var person = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("female", person.GetProperty("gender").GetString());
        Assert.Equal("1900-01-01", person.GetProperty("birthdate").GetString());
        foreach (var field in new[] { "birthplace", "birthcountry", "email", "phoneNumber" })
        {
            Assert.Equal(JsonValueKind.Null, person.GetProperty(field).ValueKind);
        }
    }

    [Fact]
    public async Task Person_Responses_NeverContainThePasswordOrItsHash()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        var password = (string)body["password"]!;

        using var created = await http.PostAsJsonAsync(People, body);
        var createdJson = await created.Content.ReadAsStringAsync();
        var readJson = await http.GetStringAsync($"{People}/{body["identityNumber"]}");

        string hash;
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var username = (string)body["username"]!;
            hash = await db.RegistryAccounts.Where(a => a.Username == username).Select(a => a.PasswordHash).SingleAsync();
        }
        Assert.NotEqual(password, hash);
        foreach (var json in new[] { createdJson, readJson })
        {
            Assert.DoesNotContain(password, json, StringComparison.Ordinal);
            Assert.DoesNotContain(hash, json, StringComparison.Ordinal);
            Assert.DoesNotContain("password", json, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Person_CreatedThroughTheApi_CanLogInAtOnceWithTheRegistryPassword()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["givenName"] = "Dũng " + Digits(4);
        using (var created = await http.PostAsJsonAsync(People, body))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var browser = hub.CreateBrowser();
        var client = OidcClient.Demo();
        // Mixed case: the username was stored lower-case and sign-in compares it case-insensitively.
        var callback = await client.LoginAsync(browser, ((string)body["username"]!).ToUpperInvariant(), (string)body["password"]!);
        using var tokenHttp = hub.CreateApiClient();
        var tokens = await client.RedeemAsync(tokenHttp, callback["code"]);

        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var id = tokens.IdTokenJwt;
        Assert.Equal(body["givenName"], id.GetClaim("given_name").Value);
        Assert.Equal("Lê Văn", id.GetClaim("family_name").Value);
        Assert.Equal("1992-07-21", id.GetClaim("birthdate").Value);
        Assert.Equal("eidas1", id.GetClaim("acr").Value);
    }

    [Fact]
    public async Task Person_Unknown_Is404()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.GetAsync($"{People}/{Digits(12)}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public static TheoryData<string, string?> InvalidPersonFields => new()
    {
        { "identityNumber", null },
        { "identityNumber", "12345678901" },
        { "identityNumber", "1234567890123" },
        { "identityNumber", "12345678901a" },
        { "givenName", null },
        { "givenName", "   " },
        { "givenName", new string('a', 201) },
        { "familyName", "" },
        { "familyName", new string('b', 201) },
        { "birthdate", null },
        { "birthdate", "1990-02-30" },
        { "birthdate", "14/03/1990" },
        { "birthdate", "1990-3-14" },
        { "birthdate", "2999-01-01" },
        { "birthdate", "1899-12-31" },
        { "gender", null },
        { "gender", "other" },
        { "gender", "F" },
        { "birthplace", "Hà Nội" },
        { "birthplace", "12345678901234567" },
        { "birthcountry", "V-N" },
        { "email", "not-an-address" },
        { "email", "Cường <cuong@example.vn>" },
        { "email", new string('a', 310) + "@example.vn" },
        { "phoneNumber", "0912345678" },
        { "phoneNumber", "+8491234" },
        { "phoneNumber", "+1234567890123456" },
        { "phoneNumber", "+84 912 345 678" },
        { "username", null },
        { "username", "ab" },
        { "username", "has space" },
        { "username", "nguyễn.an" },
        { "username", new string('u', 101) },
        { "password", null },
        { "password", "Short-pw-11" },
        { "password", "password1234" },
        { "password", "123456789012" },
        { "password", "qwertyuiop12" },
        { "password", "iloveyou1234" },
        { "password", "Password@123" },
        { "password", "PASSWORD1234" },
        { "password", "P@ssw0rd2024!" },
        { "password", "1qaz2wsx3edc" },
        { "password", "matkhau12345" },
    };

    [Theory]
    [MemberData(nameof(InvalidPersonFields))]
    public async Task Person_WithABadField_Is400NamingOnlyThatField(string field, string? value)
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body[field] = value;

        using var response = await http.PostAsJsonAsync(People, body);

        await AssertInvalidAsync(response, field);
        if (field != "identityNumber")
        {
            await AssertNoPersonAsync(http, (string)body["identityNumber"]!);
        }
    }

    [Fact]
    public async Task Person_WithAnAddress_IsStoredAndReadBack_AndItsHolderGetsItAsTheAddressClaim()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["address"] = new Dictionary<string, object?>
        {
            ["street_address"] = "  12 Lê Lợi\nPhường Bến Nghé  ",
            ["locality"] = "Quận 1",
            ["region"] = "Thành phố Hồ Chí Minh",
            ["postal_code"] = "700000",
            ["country"] = null,
        };

        using var created = await http.PostAsJsonAsync(People, body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var read = await http.GetFromJsonAsync<JsonElement>($"{People}/{body["identityNumber"]}");
        foreach (var person in new[] { await created.Content.ReadFromJsonAsync<JsonElement>(), read })
        {
            var address = person.GetProperty("address");
            Assert.Equal("12 Lê Lợi\nPhường Bến Nghé", address.GetProperty("street_address").GetString());
            Assert.Equal("Quận 1", address.GetProperty("locality").GetString());
            Assert.Equal("Thành phố Hồ Chí Minh", address.GetProperty("region").GetString());
            Assert.Equal("700000", address.GetProperty("postal_code").GetString());
            Assert.Equal(JsonValueKind.Null, address.GetProperty("country").ValueKind);
        }

        // A service allowed the address scope receives it as the OpenID Connect structured claim, without the empty member.
        var clientId = "address-" + Digits(6);
        using var service = await http.PostAsJsonAsync("/api/admin/v1/relying-parties", new
        {
            clientId,
            displayName = "Address service",
            clientType = "confidential",
            redirectUris = new[] { $"https://{clientId}.gov.vn/cb" },
            allowedScopes = new[] { "openid", "address" },
        });
        Assert.Equal(HttpStatusCode.Created, service.StatusCode);
        var client = new OidcClient(clientId, (await service.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString(), $"https://{clientId}.gov.vn/cb");
        using var browser = hub.CreateBrowser();
        var callback = await client.LoginAsync(browser, (string)body["username"]!, (string)body["password"]!, client.AuthorizeUrl("openid address"));
        using var tokenHttp = hub.CreateApiClient();
        var claim = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode((await client.RedeemAsync(tokenHttp, callback["code"])).IdTokenJwt.EncodedPayload))
            .RootElement.GetProperty("address");
        Assert.Equal(["street_address", "locality", "region", "postal_code"], claim.EnumerateObject().Select(m => m.Name));
        Assert.Equal("12 Lê Lợi\nPhường Bến Nghé", claim.GetProperty("street_address").GetString());
    }

    [Fact]
    public async Task Person_WithoutAnAddress_HasANullAddress()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["address"] = null;
        using var created = await http.PostAsJsonAsync(People, body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("address").ValueKind);
    }

    public static TheoryData<string, string> InvalidAddresses => new()
    {
        { "address", "\"12 Lê Lợi, Quận 1\"" },
        { "address", "[\"12 Lê Lợi\"]" },
        { "address", "{}" },
        { "address", "{\"locality\": \"  \"}" },
        { "address.postal_code", "{\"postal_code\": 700000}" },
        { "address.postal_code", "{\"postal_code\": \"" + new string('7', 33) + "\"}" },
        { "address.street_address", "{\"street_address\": \"" + new string('s', 501) + "\"}" },
        { "address.locality", "{\"locality\": \"Quận\\u00001\"}" },
        { "address.region", "{\"region\": \"Hà\\nNội\"}" },
        { "address.country", "{\"country\": {\"code\": \"VN\"}}" },
        { "address.streetAddress", "{\"streetAddress\": \"12 Lê Lợi\"}" },
        { "address.formatted", "{\"formatted\": \"12 Lê Lợi\", \"locality\": \"Quận 1\"}" },
    };

    [Theory]
    [MemberData(nameof(InvalidAddresses))]
    public async Task Person_WithABadAddress_Is400NamingTheAddressOrItsMember(string field, string address)
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["address"] = JsonDocument.Parse(address).RootElement;

        using var response = await http.PostAsJsonAsync(People, body);

        await AssertInvalidAsync(response, field);
        await AssertNoPersonAsync(http, (string)body["identityNumber"]!);
    }

    [Fact]
    public async Task Person_WithPasswordContainingTheUsername_Is400Password()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["password"] = "My-" + ((string)body["username"]!).ToUpperInvariant() + "-horse";

        using var response = await http.PostAsJsonAsync(People, body);

        await AssertInvalidAsync(response, "password");
    }

    [Fact]
    public async Task Person_WithPasswordContainingTheIdentityNumber_Is400Password()
    {
        using var http = await hub.CreateAdminClientAsync();
        var body = NewPerson();
        body["password"] = "id:" + body["identityNumber"] + "!";

        using var response = await http.PostAsJsonAsync(People, body);

        await AssertInvalidAsync(response, "password");
    }

    [Fact]
    public async Task Person_WithSeveralBadFields_Is400NamingEachOfThem()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.PostAsJsonAsync(People, new Dictionary<string, object?> { ["gender"] = "x", ["email"] = "x" });

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var keys = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "birthdate", "email", "familyName", "gender", "givenName", "identityNumber", "password", "username" }, keys);
    }

    [Fact]
    public async Task Person_WithATakenIdentityNumber_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var first = NewPerson();
        using (var created = await http.PostAsJsonAsync(People, first))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var second = NewPerson();
        second["identityNumber"] = first["identityNumber"];

        using var response = await http.PostAsJsonAsync(People, second);

        await ProblemAsync(response, HttpStatusCode.Conflict);
        await AssertNoAccountAsync((string)second["username"]!);
    }

    [Fact]
    public async Task Person_WithATakenUsernameInAnotherCase_Is409AndWritesNothing()
    {
        using var http = await hub.CreateAdminClientAsync();
        var first = NewPerson();
        using (var created = await http.PostAsJsonAsync(People, first))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var second = NewPerson();
        second["username"] = ((string)first["username"]!).ToUpperInvariant();

        using var response = await http.PostAsJsonAsync(People, second);

        await ProblemAsync(response, HttpStatusCode.Conflict);
        await AssertNoPersonAsync(http, (string)second["identityNumber"]!);
    }

    [Fact]
    public async Task Person_CreatedConcurrentlyWithOneUsername_OneWinsAndTheOthersLeaveNothingBehind()
    {
        using var http = await hub.CreateAdminClientAsync();
        var username = NewUsername();
        var bodies = Enumerable.Range(0, 6).Select(_ => NewPerson()).ToList();
        foreach (var body in bodies)
        {
            body["username"] = username;
        }

        var responses = await Task.WhenAll(bodies.Select(body => http.PostAsJsonAsync(People, body)));
        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
            var losers = bodies.Where((_, i) => responses[i].StatusCode == HttpStatusCode.Conflict);
            foreach (var loser in losers)
            {
                await AssertNoPersonAsync(http, (string)loser["identityNumber"]!);
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Enterprise_Created_Is201AndReadsBackWithNoRepresentatives()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = Digits(10);

        using var response = await http.PostAsJsonAsync(Enterprises, new { enterpriseId, name = "  Công ty Cổ phần Thử nghiệm  " });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{Enterprises}/{enterpriseId}", response.Headers.Location?.OriginalString);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(enterpriseId, created.GetProperty("enterpriseId").GetString());
        Assert.Equal("Công ty Cổ phần Thử nghiệm", created.GetProperty("name").GetString());

        var read = await http.GetFromJsonAsync<JsonElement>($"{Enterprises}/{enterpriseId}");
        Assert.Equal(enterpriseId, read.GetProperty("enterpriseId").GetString());
        Assert.Equal("Công ty Cổ phần Thử nghiệm", read.GetProperty("name").GetString());
        Assert.Equal(0, read.GetProperty("representatives").GetArrayLength());
    }

    [Fact]
    public async Task Enterprise_BranchTaxCode_IsAccepted()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = Digits(10) + "-" + Digits(3);
        using var response = await http.PostAsJsonAsync(Enterprises, new { enterpriseId, name = "Chi nhánh Đà Nẵng" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{Enterprises}/{enterpriseId}")).StatusCode);
    }

    [Fact]
    public async Task Enterprise_Demo_ListsItsDirector()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterprise = await http.GetFromJsonAsync<JsonElement>($"{Enterprises}/0101234567");
        var director = Assert.Single(enterprise.GetProperty("representatives").EnumerateArray());
        Assert.Equal("001185000002", director.GetProperty("identityNumber").GetString());
        Assert.Equal("Bình", director.GetProperty("givenName").GetString());
        Assert.Equal("Trần Thị", director.GetProperty("familyName").GetString());
        Assert.Equal("legal_representative", director.GetProperty("role").GetString());
    }

    public static TheoryData<string, string?, string?> InvalidEnterprises => new()
    {
        { "enterpriseId", null, "Công ty A" },
        { "enterpriseId", "123456789", "Công ty A" },
        { "enterpriseId", "01234567890", "Công ty A" },
        { "enterpriseId", "0123456789-01", "Công ty A" },
        { "enterpriseId", "0123456789_001", "Công ty A" },
        { "enterpriseId", "012345678a", "Công ty A" },
        { "name", "0123456789", null },
        { "name", "0123456789", "   " },
        { "name", "0123456789", new string('n', 301) },
    };

    [Theory]
    [MemberData(nameof(InvalidEnterprises))]
    public async Task Enterprise_WithABadField_Is400NamingOnlyThatField(string field, string? enterpriseId, string? name)
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.PostAsJsonAsync(Enterprises, new { enterpriseId, name });
        await AssertInvalidAsync(response, field);
    }

    [Fact]
    public async Task Enterprise_WithATakenTaxCode_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = await NewEnterpriseAsync(http);
        using var response = await http.PostAsJsonAsync(Enterprises, new { enterpriseId, name = "Another name" });
        await ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Enterprise_Unknown_Is404()
    {
        using var http = await hub.CreateAdminClientAsync();
        using var response = await http.GetAsync($"{Enterprises}/{Digits(10)}");
        await ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Representative_Added_Is201AndAppearsOnTheEnterprise()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = await NewEnterpriseAsync(http);
        var person = await NewPersonAsync(http);

        using var response = await http.PostAsJsonAsync($"{Enterprises}/{enterpriseId}/representatives", new { identityNumber = person["identityNumber"], role = "Tổng giám đốc" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(person["identityNumber"], created.GetProperty("identityNumber").GetString());
        Assert.Equal("Tổng giám đốc", created.GetProperty("role").GetString());

        var enterprise = await http.GetFromJsonAsync<JsonElement>($"{Enterprises}/{enterpriseId}");
        var representative = Assert.Single(enterprise.GetProperty("representatives").EnumerateArray());
        Assert.Equal(person["identityNumber"], representative.GetProperty("identityNumber").GetString());
        Assert.Equal(person["givenName"], representative.GetProperty("givenName").GetString());
        Assert.Equal("Lê Văn", representative.GetProperty("familyName").GetString());
        Assert.Equal("Tổng giám đốc", representative.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Representative_OfAnUnknownEnterprise_Is404()
    {
        using var http = await hub.CreateAdminClientAsync();
        var person = await NewPersonAsync(http);
        using var response = await http.PostAsJsonAsync($"{Enterprises}/{Digits(10)}/representatives", new { identityNumber = person["identityNumber"], role = "Giám đốc" });
        await ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("12345")]
    [InlineData("00118500000x")]
    public async Task Representative_WithAMalformedIdentityNumber_Is400IdentityNumber(string? identityNumber)
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = await NewEnterpriseAsync(http);
        using var response = await http.PostAsJsonAsync($"{Enterprises}/{enterpriseId}/representatives", new { identityNumber, role = "Giám đốc" });
        await AssertInvalidAsync(response, "identityNumber");
    }

    [Fact]
    public async Task Representative_WhoIsNotInTheRegistry_Is400SayingSo()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = await NewEnterpriseAsync(http);
        using var response = await http.PostAsJsonAsync($"{Enterprises}/{enterpriseId}/representatives", new { identityNumber = Digits(12), role = "Giám đốc" });
        var errors = await AssertInvalidAsync(response, "identityNumber");
        Assert.Equal("no person with this identity number", Assert.Single(errors.GetProperty("identityNumber").EnumerateArray()).GetString());
    }

    public static TheoryData<string?> InvalidRoles => new() { null, " ", new string('r', 101) };

    [Theory]
    [MemberData(nameof(InvalidRoles))]
    public async Task Representative_WithoutAProperRole_Is400Role(string? role)
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = await NewEnterpriseAsync(http);
        var person = await NewPersonAsync(http);
        using var response = await http.PostAsJsonAsync($"{Enterprises}/{enterpriseId}/representatives", new { identityNumber = person["identityNumber"], role });
        await AssertInvalidAsync(response, "role");
    }

    [Fact]
    public async Task Representative_AddedTwice_Is409()
    {
        using var http = await hub.CreateAdminClientAsync();
        var enterpriseId = await NewEnterpriseAsync(http);
        var person = await NewPersonAsync(http);
        var path = $"{Enterprises}/{enterpriseId}/representatives";
        using (var first = await http.PostAsJsonAsync(path, new { identityNumber = person["identityNumber"], role = "Giám đốc" }))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var second = await http.PostAsJsonAsync(path, new { identityNumber = person["identityNumber"], role = "Kế toán trưởng" });

        await ProblemAsync(second, HttpStatusCode.Conflict);
        var enterprise = await http.GetFromJsonAsync<JsonElement>($"{Enterprises}/{enterpriseId}");
        Assert.Equal("Giám đốc", Assert.Single(enterprise.GetProperty("representatives").EnumerateArray()).GetProperty("role").GetString());
    }

    [Theory]
    [InlineData("POST", People)]
    [InlineData("GET", People + "/001190000001")]
    [InlineData("POST", Enterprises)]
    [InlineData("GET", Enterprises + "/0101234567")]
    [InlineData("POST", Enterprises + "/0101234567/representatives")]
    public async Task RegistryEndpoint_WithoutToken_Is401(string method, string path)
    {
        using var http = hub.CreateApiClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(NewPerson());
        }
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task OpenApi_DescribesTheRegistryEndpoints()
    {
        using var http = hub.CreateApiClient();
        var document = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/admin/v1/registry/enterprises/{enterpriseId}/representatives", document, StringComparison.Ordinal);
        Assert.Contains("National registry", document, StringComparison.Ordinal);
    }

    private static Dictionary<string, object?> NewPerson() => new()
    {
        ["identityNumber"] = Digits(12),
        ["givenName"] = "Cường",
        ["familyName"] = "Lê Văn",
        ["birthdate"] = "1992-07-21",
        ["gender"] = "male",
        ["birthplace"] = "48001",
        ["birthcountry"] = "VN",
        ["email"] = "cuong@example.vn",
        ["phoneNumber"] = "+84912345678",
        ["username"] = NewUsername(),
        ["password"] = "Lantern harbour " + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)),
    };

    private static string NewUsername() => "le.cuong-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();

    private static string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));

    private static async Task<Dictionary<string, object?>> NewPersonAsync(HttpClient http)
    {
        var body = NewPerson();
        body["givenName"] = "Hùng " + Digits(4);
        using var response = await http.PostAsJsonAsync(People, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return body;
    }

    private static async Task<string> NewEnterpriseAsync(HttpClient http)
    {
        var enterpriseId = Digits(10);
        using var response = await http.PostAsJsonAsync(Enterprises, new { enterpriseId, name = "Công ty TNHH " + enterpriseId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return enterpriseId;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>A 400 problem whose <c>errors</c> names exactly <paramref name="field"/>; returns the errors object.</summary>
    private static async Task<JsonElement> AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Equal(new[] { field }, errors.EnumerateObject().Select(e => e.Name));
        return errors;
    }

    private static async Task AssertNoPersonAsync(HttpClient http, string identityNumber)
    {
        using var response = await http.GetAsync($"{People}/{identityNumber}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task AssertNoAccountAsync(string username)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        Assert.False(await db.RegistryAccounts.AnyAsync(a => a.Username == username));
    }
}

public sealed class SqliteRegistryApiTests(SqliteHub hub) : RegistryApiTests(hub), IClassFixture<SqliteHub>;

public sealed class PostgresRegistryApiTests(PostgresHub hub) : RegistryApiTests(hub), IClassFixture<PostgresHub>;
