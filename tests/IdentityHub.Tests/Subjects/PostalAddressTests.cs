using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Subjects;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Tests.Subjects;

/// <summary>The <c>address</c> claim: its shape, where a person's record takes it from, and its column on each database.</summary>
public sealed class PostalAddressTests
{
    [Fact]
    public void Read_KeepsTheOidcMembers_TrimmedAndWithoutEmptyOnes()
    {
        var problems = new List<(string? Member, string Message)>();
        var address = PostalAddress.Read(Json("""{"street_address": " 5 Hàng Bài\nTầng 2 ", "locality": "", "region": "Hà Nội", "postal_code": null, "country": "VN"}"""), strict: true, problems);

        Assert.Empty(problems);
        Assert.Equal("5 Hàng Bài\nTầng 2", address!.StreetAddress);
        Assert.Null(address.Locality);
        Assert.Null(address.PostalCode);
        Assert.Equal(["street_address", "region", "country"], address.ToClaimValue().EnumerateObject().Select(m => m.Name));
    }

    [Theory]
    [InlineData("""{"formatted": "5 Hàng Bài, Hà Nội", "locality": "Hà Nội"}""", true, "formatted")]
    [InlineData("""{"locality": 12}""", false, "locality")]
    [InlineData("""{"country": "V\tN"}""", false, "country")]
    [InlineData("""["Hà Nội"]""", false, null)]
    [InlineData("""{"formatted": "5 Hàng Bài"}""", false, null)]
    public void Read_NamesWhatIsWrong(string json, bool strict, string? member)
    {
        var problems = new List<(string? Member, string Message)>();
        Assert.Null(PostalAddress.Read(Json(json), strict, problems));
        Assert.Equal(member, Assert.Single(problems).Member);
    }

    [Fact]
    public void Read_FromASource_LeavesOutMembersTheHubDoesNotKeep()
    {
        var problems = new List<(string? Member, string Message)>();
        var address = PostalAddress.Read(Json("""{"formatted": "5 Hàng Bài, Hà Nội", "locality": "Hà Nội"}"""), strict: false, problems);
        Assert.Empty(problems);
        Assert.Equal(["locality"], address!.ToClaimValue().EnumerateObject().Select(m => m.Name));
    }

    [Theory]
    [InlineData(HubDatabase.Sqlite)]
    [InlineData(HubDatabase.Postgres)]
    public async Task Reconciliation_GivesAKnownPersonTheSourcesAddressOnlyWhenTheRecordHasNone(HubDatabase database)
    {
        var connectionString = await HubFactory.NewDatabaseAsync(database);
        await using (var setup = Context(database, connectionString))
        {
            await (database == HubDatabase.Postgres ? setup.Database.MigrateAsync() : setup.Database.EnsureCreatedAsync());
            setup.People.Add(new Person { Id = Guid.CreateVersion7(), IdentityNumber = "079190000001", Pivot = Pivot(), Email = "khoa@example.vn", CreatedAt = DateTimeOffset.UtcNow });
            setup.People.Add(new Person
            {
                Id = Guid.CreateVersion7(),
                IdentityNumber = "079190000002",
                Pivot = Pivot("Lan"),
                Address = new PostalAddress { Locality = "Đà Lạt", Country = "VN" },
                CreatedAt = DateTimeOffset.UtcNow,
            });
            await setup.SaveChangesAsync();
        }
        var fromSource = new ContactDetails("other@bank.example", true, null, false, new PostalAddress { StreetAddress = "9 Pasteur", Locality = "Quận 3" });

        await using (var db = Context(database, connectionString))
        {
            var reconciliation = new Reconciliation(db, TimeProvider.System);
            Assert.Equal(ReconciliationOutcome.Found, (await reconciliation.ReconcileAsync(Pivot(), "079190000001", fromSource, CancellationToken.None)).Outcome);
            Assert.Equal(ReconciliationOutcome.Found, (await reconciliation.ReconcileAsync(Pivot("Lan"), "079190000002", fromSource, CancellationToken.None)).Outcome);
        }

        await using var check = Context(database, connectionString);
        var khoa = await check.People.AsNoTracking().SingleAsync(p => p.IdentityNumber == "079190000001");
        Assert.Equal("9 Pasteur", khoa.Address?.StreetAddress);
        Assert.Equal("Quận 3", khoa.Address?.Locality);
        // The e-mail the record holds is kept, with its verification.
        Assert.Equal("khoa@example.vn", khoa.Email);
        Assert.False(khoa.EmailVerified);
        var lan = await check.People.AsNoTracking().SingleAsync(p => p.IdentityNumber == "079190000002");
        Assert.Equal("Đà Lạt", lan.Address?.Locality);
        Assert.Null(lan.Address?.StreetAddress);
    }

    private static PivotIdentity Pivot(string givenName = "Khoa") => new()
    {
        GivenName = givenName,
        FamilyName = "Phạm",
        Birthdate = new DateOnly(1990, 1, 15),
        Gender = Gender.Male,
        Birthplace = "79001",
        Birthcountry = "VN",
    };

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static HubDbContext Context(HubDatabase database, string connectionString)
    {
        var options = new DbContextOptionsBuilder<HubDbContext>();
        DatabaseSetup.Configure(options, database == HubDatabase.Postgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite, connectionString);
        return new HubDbContext(options.Options);
    }
}
