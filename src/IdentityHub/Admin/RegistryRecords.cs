using System.Globalization;
using System.Net.Mail;
using System.Text.Json;
using IdentityHub.Data;
using IdentityHub.Enterprises;
using IdentityHub.Registry;
using IdentityHub.Subjects;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Admin;

/// <summary>
/// The national registry's records: people with the account they sign in with at the built-in source, enterprises,
/// and who may act for them. Every check happens before the first write; each write is one transaction.
/// </summary>
public sealed class RegistryRecords(HubDbContext db, IPasswordHasher<RegistryAccount> hasher, TimeProvider time, AccountLocks locks, Authenticator authenticator)
{
    public const string NoSuchPerson = "no person with this identity number";

    private static readonly DateOnly EarliestBirthdate = new(1900, 1, 1);

    public async Task<PersonResponse?> FindPersonAsync(string identityNumber, CancellationToken cancellationToken)
    {
        var person = await db.People.AsNoTracking().FirstOrDefaultAsync(p => p.IdentityNumber == identityNumber, cancellationToken);
        if (person is null)
        {
            return null;
        }
        var username = await db.RegistryAccounts.AsNoTracking().Where(a => a.PersonId == person.Id).Select(a => a.Username).FirstOrDefaultAsync(cancellationToken);
        return ToResponse(person, username);
    }

    public async Task<AdminResult<PersonResponse>> CreatePersonAsync(PersonRequest request, CancellationToken cancellationToken)
    {
        var (errors, person, username) = ValidatePerson(request);
        if (person is null)
        {
            return AdminResult.Invalid<PersonResponse>(errors);
        }
        if (await PersonConflictAsync(person.IdentityNumber!, username!, cancellationToken) is { } taken)
        {
            return AdminResult.Conflict<PersonResponse>(taken);
        }

        var now = Stored(time.GetUtcNow());
        person.Id = Guid.CreateVersion7(now);
        person.CreatedAt = now;
        var account = new RegistryAccount { PersonId = person.Id, Username = username!, PasswordHash = "", CreatedAt = now };
        // Hashed before the transaction opens: PBKDF2 is deliberately slow and SQLite would hold its write lock meanwhile.
        account.PasswordHash = hasher.HashPassword(account, request.Password!);

        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.People.Add(person);
            db.RegistryAccounts.Add(account);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent request took the identity number or username between the check and the insert; the
            // unique indexes refused it and the transaction rolled both rows back. Anything else is not a conflict.
            db.ChangeTracker.Clear();
            if (await PersonConflictAsync(person.IdentityNumber!, username!, cancellationToken) is { } raced)
            {
                return AdminResult.Conflict<PersonResponse>(raced);
            }
            throw;
        }
        return AdminResult.Saved(ToResponse(person, username));
    }

    /// <summary>
    /// Ends the lock-out of the registry account of <paramref name="identityNumber"/> (and the growth of the next one);
    /// false when no registry account has this identity number.
    /// </summary>
    public async Task<bool> UnlockAsync(string identityNumber, CancellationToken cancellationToken)
    {
        var account = await AccountOfAsync(identityNumber, cancellationToken);
        if (account is null)
        {
            return false;
        }
        await locks.ResetAsync(locks.KeyOf(account.Username), cancellationToken);
        return true;
    }

    /// <summary>
    /// Removes the authenticator app, the recovery codes and the passkeys of the registry account of
    /// <paramref name="identityNumber"/>, all or nothing (a lost phone); the next <c>eidas2</c> login enrols again.
    /// False when no registry account has this identity number.
    /// </summary>
    public async Task<bool> RemoveSecondFactorsAsync(string identityNumber, CancellationToken cancellationToken)
    {
        var account = await AccountOfAsync(identityNumber, cancellationToken);
        if (account is null)
        {
            return false;
        }
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await authenticator.RemoveAsync(account.PersonId, cancellationToken);
            await db.Passkeys.Where(p => p.PersonId == account.PersonId).ExecuteDeleteAsync(cancellationToken);
            // A login that was between its password and its second factor starts again.
            await db.SecondFactorChallenges.Where(c => c.PersonId == account.PersonId).ExecuteDeleteAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        return true;
    }

    private async Task<RegistryAccountKey?> AccountOfAsync(string identityNumber, CancellationToken cancellationToken) =>
        await db.People.AsNoTracking().Where(p => p.IdentityNumber == identityNumber)
            .Join(db.RegistryAccounts, p => p.Id, a => a.PersonId, (p, a) => new RegistryAccountKey(a.PersonId, a.Username))
            .FirstOrDefaultAsync(cancellationToken);

    private sealed record RegistryAccountKey(Guid PersonId, string Username);

    public async Task<EnterpriseResponse?> FindEnterpriseAsync(string enterpriseId, CancellationToken cancellationToken)
    {
        var enterprise = await db.Enterprises.AsNoTracking().FirstOrDefaultAsync(e => e.Id == enterpriseId, cancellationToken);
        if (enterprise is null)
        {
            return null;
        }
        var representatives = await db.Representatives.AsNoTracking()
            .Where(r => r.EnterpriseId == enterpriseId)
            .Join(db.People, r => r.PersonId, p => p.Id, (r, p) => new RepresentativeResponse
            {
                IdentityNumber = p.IdentityNumber,
                GivenName = p.Pivot.GivenName,
                FamilyName = p.Pivot.FamilyName,
                Role = r.Role,
            })
            .OrderBy(r => r.FamilyName).ThenBy(r => r.GivenName).ThenBy(r => r.IdentityNumber)
            .ToListAsync(cancellationToken);
        return new EnterpriseResponse { EnterpriseId = enterprise.Id, Name = enterprise.Name, Representatives = representatives };
    }

    public async Task<AdminResult<EnterpriseResponse>> CreateEnterpriseAsync(EnterpriseRequest request, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var enterpriseId = request.EnterpriseId?.Trim();
        if (!Identifiers.IsTaxCode(enterpriseId))
        {
            errors.Add("enterpriseId", "Required: a tax code of 10 digits, or 10 digits, '-' and 3 digits for a branch.");
        }
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 300)
        {
            errors.Add("name", "Required, at most 300 characters.");
        }
        if (errors.Any)
        {
            return AdminResult.Invalid<EnterpriseResponse>(errors);
        }

        var conflict = $"An enterprise with tax code '{enterpriseId}' already exists.";
        if (await db.Enterprises.AnyAsync(e => e.Id == enterpriseId, cancellationToken))
        {
            return AdminResult.Conflict<EnterpriseResponse>(conflict);
        }
        var enterprise = new Enterprise { Id = enterpriseId!, Name = name!, CreatedAt = time.GetUtcNow() };
        try
        {
            db.Enterprises.Add(enterprise);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Enterprises.AnyAsync(e => e.Id == enterpriseId, cancellationToken))
            {
                return AdminResult.Conflict<EnterpriseResponse>(conflict);
            }
            throw;
        }
        return AdminResult.Saved(new EnterpriseResponse { EnterpriseId = enterprise.Id, Name = enterprise.Name, Representatives = [] });
    }

    public async Task<AdminResult<RepresentativeResponse>> AddRepresentativeAsync(string enterpriseId, RepresentativeRequest request, CancellationToken cancellationToken)
    {
        if (!await db.Enterprises.AnyAsync(e => e.Id == enterpriseId, cancellationToken))
        {
            return AdminResult.NotFound<RepresentativeResponse>();
        }

        var errors = new ValidationErrors();
        var identityNumber = request.IdentityNumber?.Trim();
        if (!Identifiers.IsIdentityNumber(identityNumber))
        {
            errors.Add("identityNumber", "Required: exactly 12 digits.");
        }
        var role = request.Role?.Trim();
        if (string.IsNullOrEmpty(role) || role.Length > 100)
        {
            errors.Add("role", "Required, at most 100 characters.");
        }
        var person = errors.Has("identityNumber") ? null
            : await db.People.AsNoTracking().FirstOrDefaultAsync(p => p.IdentityNumber == identityNumber, cancellationToken);
        if (person is null && !errors.Has("identityNumber"))
        {
            errors.Add("identityNumber", NoSuchPerson);
        }
        if (person is null || errors.Any)
        {
            return AdminResult.Invalid<RepresentativeResponse>(errors);
        }

        var conflict = $"The person with identity number {identityNumber} already represents enterprise '{enterpriseId}'.";
        if (await db.Representatives.AnyAsync(r => r.EnterpriseId == enterpriseId && r.PersonId == person.Id, cancellationToken))
        {
            return AdminResult.Conflict<RepresentativeResponse>(conflict);
        }
        try
        {
            db.Representatives.Add(new Representative { EnterpriseId = enterpriseId, PersonId = person.Id, Role = role!, CreatedAt = time.GetUtcNow() });
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Representatives.AnyAsync(r => r.EnterpriseId == enterpriseId && r.PersonId == person.Id, cancellationToken))
            {
                return AdminResult.Conflict<RepresentativeResponse>(conflict);
            }
            throw;
        }
        return AdminResult.Saved(new RepresentativeResponse
        {
            IdentityNumber = person.IdentityNumber,
            GivenName = person.Pivot.GivenName,
            FamilyName = person.Pivot.FamilyName,
            Role = role!,
        });
    }

    /// <summary>
    /// Whole milliseconds: SQLite keeps less than a tick and PostgreSQL microseconds, and the 201 response should
    /// show what a later read returns.
    /// </summary>
    private static DateTimeOffset Stored(DateTimeOffset value) => value.AddTicks(-(value.Ticks % TimeSpan.TicksPerMillisecond));

    private async Task<string?> PersonConflictAsync(string identityNumber, string username, CancellationToken cancellationToken)
    {
        if (await db.People.AnyAsync(p => p.IdentityNumber == identityNumber, cancellationToken))
        {
            return $"A person with identity number {identityNumber} is already registered.";
        }
        if (await db.RegistryAccounts.AnyAsync(a => a.Username == username, cancellationToken))
        {
            return $"The username '{username}' is already taken.";
        }
        return null;
    }

    private (ValidationErrors Errors, Person? Person, string? Username) ValidatePerson(PersonRequest request)
    {
        var errors = new ValidationErrors();

        var identityNumber = request.IdentityNumber?.Trim();
        if (!Identifiers.IsIdentityNumber(identityNumber))
        {
            errors.Add("identityNumber", "Required: exactly 12 digits.");
        }
        var givenName = RequireName("givenName", request.GivenName, errors);
        var familyName = RequireName("familyName", request.FamilyName, errors);

        DateOnly birthdate = default;
        if (!DateOnly.TryParseExact(request.Birthdate?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out birthdate))
        {
            errors.Add("birthdate", "Required: a date written YYYY-MM-DD.");
        }
        // "Today" where the calendar is furthest ahead (UTC+14), so a child born today anywhere is not refused.
        else if (birthdate > DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime.AddHours(14)))
        {
            errors.Add("birthdate", "Must not be in the future.");
        }
        else if (birthdate < EarliestBirthdate)
        {
            errors.Add("birthdate", "Must not be before 1900-01-01.");
        }

        Gender? gender = request.Gender switch
        {
            "female" => Gender.Female,
            "male" => Gender.Male,
            _ => null,
        };
        if (gender is null)
        {
            errors.Add("gender", "Required: 'female' or 'male'.");
        }

        var birthplace = OptionalCode("birthplace", request.Birthplace, errors);
        var birthcountry = OptionalCode("birthcountry", request.Birthcountry, errors);

        var email = Optional(request.Email);
        if (email is not null && (email.Length > 320 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || !string.IsNullOrEmpty(parsed.DisplayName)))
        {
            errors.Add("email", "Must be an e-mail address such as name@example.vn, at most 320 characters.");
        }

        var phoneNumber = Optional(request.PhoneNumber);
        if (phoneNumber is not null && !(phoneNumber.Length is >= 9 and <= 16 && phoneNumber[0] == '+' && phoneNumber[1..].All(char.IsAsciiDigit)))
        {
            errors.Add("phoneNumber", "Must be in E.164 form: '+' then 8 to 15 digits, such as +84901234567.");
        }

        var address = OptionalAddress(request.Address, errors);

        var username = request.Username?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(username) || username.Length is < 3 or > 100 || !username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add("username", "Required: 3 to 100 letters, digits, '.', '_' or '-'.");
        }

        // The password is checked as typed: trimming it would store something other than what the person will enter.
        if (PasswordPolicy.Problem(request.Password, username, identityNumber) is { } problem)
        {
            errors.Add("password", problem);
        }

        if (errors.Any)
        {
            return (errors, null, null);
        }
        var person = new Person
        {
            IdentityNumber = identityNumber,
            Pivot = new PivotIdentity
            {
                GivenName = givenName!,
                FamilyName = familyName!,
                Birthdate = birthdate,
                Gender = gender!.Value,
                Birthplace = birthplace,
                Birthcountry = birthcountry,
            },
            // An operator typed these in: nobody has yet shown the person controls them.
            Email = email,
            EmailVerified = false,
            PhoneNumber = phoneNumber,
            PhoneNumberVerified = false,
            Address = address,
        };
        return (errors, person, username);
    }

    private static string? RequireName(string field, string? value, ValidationErrors errors)
    {
        var name = value?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            errors.Add(field, "Required, at most 200 characters.");
            return null;
        }
        return name;
    }

    /// <summary>Official codes (administrative unit, ISO 3166 country): letters and digits only.</summary>
    private static string? OptionalCode(string field, string? value, ValidationErrors errors)
    {
        var code = Optional(value);
        if (code is not null && (code.Length > 16 || !code.All(char.IsAsciiLetterOrDigit)))
        {
            errors.Add(field, "Must be an official code: at most 16 letters or digits.");
        }
        return code;
    }

    /// <summary>
    /// An address is optional; a bad one is named by the member at fault, <c>address.postal_code</c>, with the
    /// request's own (OpenID Connect) member names, or <c>address</c> when the value as a whole is wrong.
    /// </summary>
    private static PostalAddress? OptionalAddress(JsonElement? value, ValidationErrors errors)
    {
        if (value is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } json)
        {
            return null;
        }
        var problems = new List<(string? Member, string Message)>();
        var address = PostalAddress.Read(json, strict: true, problems);
        foreach (var (member, message) in problems)
        {
            errors.Add(member is null ? "address" : $"address.{member}", message);
        }
        return address;
    }

    /// <summary>Clients send absent optional fields as null or as an empty string; both mean "not given".</summary>
    private static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static PersonResponse ToResponse(Person person, string? username) => new()
    {
        IdentityNumber = person.IdentityNumber!,
        GivenName = person.Pivot.GivenName,
        FamilyName = person.Pivot.FamilyName,
        Birthdate = person.Pivot.Birthdate,
        Gender = person.Pivot.Gender == Gender.Female ? "female" : "male",
        Birthplace = person.Pivot.Birthplace,
        Birthcountry = person.Pivot.Birthcountry,
        Email = person.Email,
        PhoneNumber = person.PhoneNumber,
        Address = person.Address,
        Username = username,
        CreatedAt = person.CreatedAt,
    };
}
