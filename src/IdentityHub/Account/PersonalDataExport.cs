using System.Globalization;
using System.Text.Json;
using IdentityHub.Audit;
using IdentityHub.Consent;
using IdentityHub.Data;
using IdentityHub.Registry;
using IdentityHub.Subjects;
using Microsoft.EntityFrameworkCore;

namespace IdentityHub.Account;

/// <summary>
/// <c>Download my data</c>: everything the hub holds about a person, as one JSON document (docs/design.md,
/// "Citizen dashboard"). What proves who they are stays out — password hashes, authenticator secrets, recovery codes'
/// hashes, passkeys' keys — and so do the session ids that the browser's cookie names. Each feature that keeps
/// something about a person adds its part here.
/// </summary>
public sealed class PersonalDataExport(HubDbContext db, RegistryAccountData registry, ServiceNames services, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<byte[]> JsonAsync(Guid personId, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeToUtf8Bytes(await ReadAsync(personId, cancellationToken), Json);

    public async Task<PersonalData> ReadAsync(Guid personId, CancellationToken cancellationToken)
    {
        var person = await db.People.AsNoTracking().SingleAsync(p => p.Id == personId, cancellationToken);
        var sessions = await db.HubSessions.AsNoTracking().Where(s => s.PersonId == personId).OrderBy(s => s.CreatedAt).ToListAsync(cancellationToken);
        var sessionIds = sessions.Select(s => s.Id).ToList();
        var participants = await db.SessionParticipants.AsNoTracking().Where(p => sessionIds.Contains(p.SessionId))
            .Select(p => new { p.SessionId, p.ClientId }).ToListAsync(cancellationToken);
        // Kept for the history's retention, at most: a long list, but the person asked for all of it.
        var history = await db.ConnectionHistory.AsNoTracking().Where(r => r.PersonId == personId).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        var subjects = await db.SubjectIdentifiers.AsNoTracking().Where(s => s.PersonId == personId).OrderBy(s => s.Sector)
            .Select(s => new PairwiseSubjectData(s.Sector, s.Subject, s.CreatedAt)).ToListAsync(cancellationToken);
        var representations = await db.Representatives.AsNoTracking().Where(r => r.PersonId == personId)
            .Join(db.Enterprises, r => r.EnterpriseId, e => e.Id, (r, e) => new RepresentationData(e.Id, e.Name, r.Role, r.CreatedAt))
            .ToListAsync(cancellationToken);
        var consents = await db.Consents.AsNoTracking().Where(c => c.PersonId == personId).OrderBy(c => c.GrantedAt).ToListAsync(cancellationToken);
        var releases = await db.DataReleases.AsNoTracking().Where(r => r.PersonId == personId).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        // The audit trail's events about the person, archived ones too: what was recorded of their logins, tokens, consents and logouts.
        var reference = AuditEntry.Person(personId);
        var audit = (await db.AuditEvents.AsNoTracking().Where(e => e.Subject == reference).Select(AuditOf).ToListAsync(cancellationToken))
            .Concat(await db.ArchivedAuditEvents.AsNoTracking().Where(e => e.Subject == reference).Select(AuditOf).ToListAsync(cancellationToken))
            .OrderBy(e => e.Time).ToList();
        // The services' default names: the file is read outside the page, in no particular language.
        var names = await services.NamesAsync(history.Select(r => r.ClientId).Concat(participants.Select(p => p.ClientId)).Concat(consents.Select(c => c.ClientId))
            .Concat(releases.Select(r => r.ClientId)),
            CultureInfo.InvariantCulture, cancellationToken);
        ServiceData Service(string clientId) => new(clientId, names.GetValueOrDefault(clientId));

        return new PersonalData(
            time.GetUtcNow(),
            new PersonData(person.IdentityNumber, person.Pivot.GivenName, person.Pivot.FamilyName, person.Pivot.Birthdate,
                person.Pivot.Gender == Gender.Female ? "female" : "male", person.Pivot.Birthplace, person.Pivot.Birthcountry, person.PreferredUsername,
                person.Email, person.EmailVerified, person.PhoneNumber, person.PhoneNumberVerified, person.Address, person.CreatedAt),
            await registry.OfPersonAsync(personId, cancellationToken),
            representations,
            [.. sessions.Select(s => new SessionData(s.SourceId, s.Acr, s.Amr.Split(' ', StringSplitOptions.RemoveEmptyEntries), s.AuthenticatedAt, s.CreatedAt,
                s.ExpiresAt, s.IdleExpiresAt, s.EndedAt, [.. participants.Where(p => p.SessionId == s.Id).Select(p => Service(p.ClientId))]))],
            [.. consents.Select(c => new ConsentData(Service(c.ClientId), ConsentItems.Split(c.Items), c.GrantedAt, c.UpdatedAt))],
            [.. history.Select(r => new ConnectionData(Service(r.ClientId), r.At, r.SourceId, r.Acr, r.Claims.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                r.EnterpriseId is null ? null : new EnterpriseData(r.EnterpriseId, r.EnterpriseName)))],
            subjects,
            [.. releases.Select(r => new DataReleaseData(r.ProviderId, r.ProviderName, Service(r.ClientId), r.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), r.At))],
            audit);
    }

    private static readonly System.Linq.Expressions.Expression<Func<AuditRecord, AuditEventData>> AuditOf = e =>
        new AuditEventData(e.Time, e.Type, e.Client, e.Source, e.Level, e.Ip, e.Outcome, e.Detail);
}

/// <summary>The downloaded document.</summary>
/// <param name="RegistryAccount">Null when the person has no national-registry account (they came through another source).</param>
public sealed record PersonalData(
    DateTimeOffset ExportedAt,
    PersonData Person,
    RegistryAccountRecord? RegistryAccount,
    IReadOnlyList<RepresentationData> Representations,
    IReadOnlyList<SessionData> Sessions,
    IReadOnlyList<ConsentData> Consents,
    IReadOnlyList<ConnectionData> ConnectionHistory,
    IReadOnlyList<PairwiseSubjectData> PairwiseSubjects,
    IReadOnlyList<DataReleaseData> DataShared,
    IReadOnlyList<AuditEventData> AuditEvents);

/// <summary>One release of the person's data by an agency to a service (docs/integration.md, "Data providers").</summary>
public sealed record DataReleaseData(string ProviderId, string ProviderName, ServiceData Service, IReadOnlyList<string> Scopes, DateTimeOffset At);

/// <summary>One audit event about the person (docs/integration.md, "Audit").</summary>
public sealed record AuditEventData(DateTimeOffset Time, string Type, string? Client, string? Source, string? Level, string? Ip, string Outcome, string? Detail);

public sealed record PersonData(
    string? IdentityNumber,
    string GivenName,
    string FamilyName,
    DateOnly Birthdate,
    string Gender,
    string? Birthplace,
    string? Birthcountry,
    string? PreferredUsername,
    string? Email,
    bool EmailVerified,
    string? PhoneNumber,
    bool PhoneNumberVerified,
    PostalAddress? Address,
    DateTimeOffset CreatedAt);

/// <summary>An enterprise the person may act for, and the mandate the registry records.</summary>
public sealed record RepresentationData(string EnterpriseId, string Name, string Role, DateTimeOffset Since);

/// <param name="Services">The services the session logged the person in to.</param>
public sealed record SessionData(string IdentitySource, string Level, IReadOnlyList<string> Methods, DateTimeOffset AuthenticatedAt, DateTimeOffset StartedAt,
    DateTimeOffset ExpiresAt, DateTimeOffset IdleExpiresAt, DateTimeOffset? EndedAt, IReadOnlyList<ServiceData> Services);

public sealed record ConnectionData(ServiceData Service, DateTimeOffset Time, string IdentitySource, string Level, IReadOnlyList<string> Claims, EnterpriseData? Enterprise);

/// <param name="Name">Null when the service is no longer registered.</param>
public sealed record ServiceData(string ClientId, string? Name);

public sealed record EnterpriseData(string Id, string? Name);

public sealed record PairwiseSubjectData(string Sector, string Subject, DateTimeOffset CreatedAt);

/// <summary>A consent: the service, what the person agreed it may receive (claim names, <c>offline_access</c>), and when.</summary>
public sealed record ConsentData(ServiceData Service, IReadOnlyList<string> Items, DateTimeOffset GrantedAt, DateTimeOffset UpdatedAt);
