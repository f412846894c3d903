using System.Globalization;
using System.Text;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Subjects;

public enum ReconciliationOutcome
{
    Found,
    Created,
    Conflict,
}

/// <summary>
/// Finds the one <see cref="Person"/> an identity source is talking about (docs/integration.md, "Scopes and claims",
/// on subject identifiers): by identity number when the source vouches for one, else by the full pivot identity; a
/// first-time person is created. Whatever source a person comes through, they end up as the same record, hence the
/// same pairwise subjects.
/// </summary>
public sealed class Reconciliation(HubDbContext db, TimeProvider time)
{
    /// <param name="contact">The source's contact details, kept for a person the hub did not know or who had none.</param>
    public async Task<(ReconciliationOutcome Outcome, Person? Person)> ReconcileAsync(PivotIdentity pivot, string? identityNumber, ContactDetails contact, CancellationToken cancellationToken)
    {
        var (outcome, person) = await FindOrCreateAsync(pivot, identityNumber, contact, cancellationToken);
        // A record with an e-mail address keeps its contact details as they are (and their verification); an address it
        // lacks is still taken from the source.
        if (outcome == ReconciliationOutcome.Found && (person!.Email is null ? person.AdoptContactDetails(contact) : person.AdoptAddress(contact.Address)))
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        return (outcome, person);
    }

    /// <summary>
    /// The person a source already knows by the hub's own id (the national registry's accounts belong to records of the
    /// hub): found in this request's change tracker when the source has just read it, so no statement is added.
    /// </summary>
    public async Task<Person?> FindAsync(Guid personId, CancellationToken cancellationToken) =>
        await db.People.FindAsync([personId], cancellationToken);

    private async Task<(ReconciliationOutcome Outcome, Person? Person)> FindOrCreateAsync(PivotIdentity pivot, string? identityNumber, ContactDetails contact, CancellationToken cancellationToken)
    {
        if (identityNumber is not null && await ByNumberAsync(pivot, identityNumber, cancellationToken) is { } known)
        {
            return known;
        }
        try
        {
            return await ByPivotOrNewAsync(pivot, identityNumber, contact, cancellationToken);
        }
        catch (DbUpdateException exception) when (identityNumber is not null && IsUniqueViolation(exception))
        {
            // Two first logins of one person at once (a double click, two tabs, two instances): both found no
            // record, and the other one's write of the identity number won the unique index. Its record is the one.
            // Only this attempt's own writes are undone: the request's other tracked rows (its journey) stay.
            foreach (var entry in db.ChangeTracker.Entries<Person>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList())
            {
                entry.State = EntityState.Detached;
            }
            return await ByNumberAsync(pivot, identityNumber, cancellationToken) ?? throw new InvalidOperationException(
                "Saving a person failed on a unique index, but no record has the identity number.", exception);
        }
    }

    private static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        Npgsql.PostgresException postgres => postgres.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteExtendedErrorCode == SqliteConstraintUnique,
        _ => false,
    };

    // SQLITE_CONSTRAINT_UNIQUE (https://www.sqlite.org/rescode.html#constraint_unique).
    private const int SqliteConstraintUnique = 2067;

    private async Task<(ReconciliationOutcome Outcome, Person? Person)?> ByNumberAsync(PivotIdentity pivot, string identityNumber, CancellationToken cancellationToken)
    {
        var numbered = await db.People.FirstOrDefaultAsync(p => p.IdentityNumber == identityNumber, cancellationToken);
        if (numbered is null)
        {
            return null;
        }
        // The number is authoritative, spellings of names are not; a different birth date means two
        // sources disagree about who this is, and the hub must not guess.
        return numbered.Pivot.Birthdate == pivot.Birthdate ? (ReconciliationOutcome.Found, numbered) : (ReconciliationOutcome.Conflict, null);
    }

    private async Task<(ReconciliationOutcome Outcome, Person? Person)> ByPivotOrNewAsync(PivotIdentity pivot, string? identityNumber, ContactDetails contact, CancellationToken cancellationToken)
    {
        var matches = await FindByPivotAsync(pivot, cancellationToken);
        // A record with another identity number is another person, however alike the pivots.
        matches = [.. matches.Where(p => identityNumber is null || p.IdentityNumber is null)];
        if (matches.Count > 1)
        {
            return (ReconciliationOutcome.Conflict, null);
        }
        if (matches.Count == 1)
        {
            var person = matches[0];
            if (identityNumber is not null)
            {
                person.IdentityNumber = identityNumber;
                await db.SaveChangesAsync(cancellationToken);
            }
            return (ReconciliationOutcome.Found, person);
        }

        var now = time.GetUtcNow();
        var created = new Person { Id = Guid.CreateVersion7(now), IdentityNumber = identityNumber, Pivot = pivot, CreatedAt = now };
        created.AdoptContactDetails(contact);
        db.People.Add(created);
        await db.SaveChangesAsync(cancellationToken);
        return (ReconciliationOutcome.Created, created);
    }

    private async Task<List<Person>> FindByPivotAsync(PivotIdentity pivot, CancellationToken cancellationToken)
    {
        // Few people share a birth date and gender: compare the names in memory, normalised the same way
        // for every source (Unicode form, case, spacing), which no SQL collation does alike on both providers.
        var candidates = await db.People
            .Where(p => p.Pivot.Birthdate == pivot.Birthdate && p.Pivot.Gender == pivot.Gender)
            .ToListAsync(cancellationToken);
        return [.. candidates.Where(p =>
            Same(p.Pivot.GivenName, pivot.GivenName) && Same(p.Pivot.FamilyName, pivot.FamilyName)
            && Same(p.Pivot.Birthplace, pivot.Birthplace) && Same(p.Pivot.Birthcountry, pivot.Birthcountry))];
    }

    public static string Normalize(string? value) =>
        string.Join(' ', (value ?? "").Normalize(NormalizationForm.FormC).Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToUpper(CultureInfo.InvariantCulture);

    private static bool Same(string? left, string? right) => string.Equals(Normalize(left), Normalize(right), StringComparison.Ordinal);
}
