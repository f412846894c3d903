using IdentityHub.Data;
using IdentityHub.Hosting;
using IdentityHub.Subjects;
using IdentityHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdentityHub.Tests.Subjects;

/// <summary>
/// Two first logins of one person at once: both find no record, and one of them writes the identity number first.
/// The other must end on that record (or refuse a conflicting one), not fail on the unique index.
/// </summary>
public sealed class ReconciliationTests
{
    private static readonly ContactDetails NoContact = new(null, false, null, false);

    private static PivotIdentity Pivot(int birthYear = 1992) => new()
    {
        GivenName = "Giang",
        FamilyName = "Võ Thị",
        Birthdate = new DateOnly(birthYear, 7, 9),
        Gender = Gender.Female,
        Birthplace = "48001",
        Birthcountry = "VN",
    };

    [Theory]
    [InlineData(HubDatabase.Sqlite)]
    [InlineData(HubDatabase.Postgres)]
    public async Task FirstLoginRacingAnother_EndsOnTheRecordTheOtherCreated(HubDatabase database)
    {
        var connectionString = await NewSchemaAsync(database);
        var racer = new RacingInsert(database, connectionString, Pivot(), "048192000777");
        await using var db = Context(database, connectionString, racer);

        var (outcome, person) = await new Reconciliation(db, TimeProvider.System).ReconcileAsync(Pivot(), "048192000777", NoContact, CancellationToken.None);

        Assert.True(racer.Raced, "the competing insert did not run before the save");
        Assert.Equal(ReconciliationOutcome.Found, outcome);
        Assert.Equal(racer.WinnerId, person?.Id);
        // The login goes on saving in the same context (session, journey): nothing of the lost insert may be left.
        Assert.DoesNotContain(db.ChangeTracker.Entries(), e => e.State is EntityState.Added);
        person!.Email = "giang.vo@example.vn";
        await db.SaveChangesAsync();
        await using var check = Context(database, connectionString);
        Assert.Equal(1, await check.People.CountAsync(p => p.IdentityNumber == "048192000777"));
        Assert.Equal("giang.vo@example.vn", (await check.People.SingleAsync(p => p.IdentityNumber == "048192000777")).Email);
    }

    [Theory]
    [InlineData(HubDatabase.Sqlite)]
    [InlineData(HubDatabase.Postgres)]
    public async Task FirstLoginRacingARecordWithAnotherBirthdate_IsAConflict(HubDatabase database)
    {
        var connectionString = await NewSchemaAsync(database);
        var racer = new RacingInsert(database, connectionString, Pivot(1993), "048192000778");
        await using var db = Context(database, connectionString, racer);

        var (outcome, person) = await new Reconciliation(db, TimeProvider.System).ReconcileAsync(Pivot(), "048192000778", NoContact, CancellationToken.None);

        Assert.True(racer.Raced, "the competing insert did not run before the save");
        Assert.Equal(ReconciliationOutcome.Conflict, outcome);
        Assert.Null(person);
        Assert.DoesNotContain(db.ChangeTracker.Entries(), e => e.State is EntityState.Added or EntityState.Modified);
        await db.SaveChangesAsync();
    }

    private static async Task<string> NewSchemaAsync(HubDatabase database)
    {
        var connectionString = await HubFactory.NewDatabaseAsync(database);
        await using var db = Context(database, connectionString);
        if (database == HubDatabase.Postgres)
        {
            await db.Database.MigrateAsync();
        }
        else
        {
            await db.Database.EnsureCreatedAsync();
        }
        return connectionString;
    }

    private static HubDbContext Context(HubDatabase database, string connectionString, IInterceptor? interceptor = null)
    {
        var options = new DbContextOptionsBuilder<HubDbContext>();
        DatabaseSetup.Configure(options, database == HubDatabase.Postgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite, connectionString);
        if (interceptor is not null)
        {
            options.AddInterceptors(interceptor);
        }
        return new HubDbContext(options.Options);
    }

    /// <summary>Just before the first save of a new person, another login creates a record with the same number.</summary>
    private sealed class RacingInsert(HubDatabase database, string connectionString, PivotIdentity pivot, string identityNumber) : SaveChangesInterceptor
    {
        public bool Raced { get; private set; }
        public Guid WinnerId { get; } = Guid.CreateVersion7();

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (!Raced && eventData.Context!.ChangeTracker.Entries<Person>().Any(e => e.State == EntityState.Added))
            {
                Raced = true;
                await using var other = Context(database, connectionString);
                other.People.Add(new Person { Id = WinnerId, IdentityNumber = identityNumber, Pivot = pivot, CreatedAt = DateTimeOffset.UtcNow });
                await other.SaveChangesAsync(cancellationToken);
            }
            return result;
        }
    }
}
