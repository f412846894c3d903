using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdentityHub.Subjects;

/// <summary>
/// One reconciled human being, whichever identity source they came through. The <see cref="Id"/> never
/// leaves the hub: services only ever see a pairwise subject derived from it.
/// </summary>
public sealed class Person
{
    public Guid Id { get; set; }

    /// <summary>12-digit national personal identification number, when a source has vouched for it.</summary>
    public string? IdentityNumber { get; set; }

    public required PivotIdentity Pivot { get; set; }

    public string? Email { get; set; }
    public bool EmailVerified { get; set; }
    public string? PhoneNumber { get; set; }
    public bool PhoneNumberVerified { get; set; }

    /// <summary>Usage name, independent of the birth name (<c>preferred_username</c>).</summary>
    public string? PreferredUsername { get; set; }

    /// <summary>Postal address (<c>address</c>), when the registry or a source gave one.</summary>
    public PostalAddress? Address { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Contact details of a person the hub did not know come from the source that introduced them; details the hub
    /// already holds are kept. A detail is verified only when the source said so of that very value.
    /// </summary>
    /// <returns>Whether anything changed.</returns>
    public bool AdoptContactDetails(ContactDetails contact)
    {
        var before = (Email, EmailVerified, PhoneNumber, PhoneNumberVerified);
        Email ??= contact.Email;
        EmailVerified = Email == contact.Email && contact.EmailVerified;
        PhoneNumber ??= contact.PhoneNumber;
        PhoneNumberVerified = PhoneNumber == contact.PhoneNumber && contact.PhoneNumberVerified;
        return AdoptAddress(contact.Address) | before != (Email, EmailVerified, PhoneNumber, PhoneNumberVerified);
    }

    /// <summary>A source's address fills a record that has none; one the hub holds is kept.</summary>
    /// <returns>Whether the record took it.</returns>
    public bool AdoptAddress(PostalAddress? address)
    {
        if (Address is not null || address is null)
        {
            return false;
        }
        Address = address;
        return true;
    }
}

/// <summary>How a person can be reached, as an identity source or the registry knows it.</summary>
public sealed record ContactDetails(string? Email, bool EmailVerified, string? PhoneNumber, bool PhoneNumberVerified, PostalAddress? Address = null);

/// <summary>The identity a person is recognised by across sources (FranceConnect's "identité pivot").</summary>
public sealed class PivotIdentity
{
    public required string GivenName { get; set; }
    public required string FamilyName { get; set; }
    public DateOnly Birthdate { get; set; }
    public Gender Gender { get; set; }
    public string? Birthplace { get; set; }
    public string? Birthcountry { get; set; }
}

public enum Gender
{
    Female,
    Male,
}

internal sealed class PersonConfiguration : IEntityTypeConfiguration<Person>
{
    public void Configure(EntityTypeBuilder<Person> builder)
    {
        builder.ToTable("People");
        builder.Property(p => p.IdentityNumber).HasMaxLength(12);
        builder.HasIndex(p => p.IdentityNumber).IsUnique();
        builder.Property(p => p.Email).HasMaxLength(320);
        builder.Property(p => p.PhoneNumber).HasMaxLength(32);
        builder.Property(p => p.PreferredUsername).HasMaxLength(200);
        builder.OwnsOne(p => p.Pivot, pivot =>
        {
            pivot.Property(x => x.GivenName).HasColumnName("GivenName").HasMaxLength(200);
            pivot.Property(x => x.FamilyName).HasColumnName("FamilyName").HasMaxLength(200);
            pivot.Property(x => x.Birthdate).HasColumnName("Birthdate");
            pivot.Property(x => x.Gender).HasColumnName("Gender").HasConversion<string>().HasMaxLength(8);
            pivot.Property(x => x.Birthplace).HasColumnName("Birthplace").HasMaxLength(16);
            pivot.Property(x => x.Birthcountry).HasColumnName("Birthcountry").HasMaxLength(16);
            pivot.HasIndex(x => new { x.FamilyName, x.GivenName, x.Birthdate });
        });
        builder.Navigation(p => p.Pivot).IsRequired();
        // One JSON column: the address is read and written whole, never searched by its parts.
        builder.OwnsOne(p => p.Address, address =>
        {
            address.ToJson("Address");
            address.Property(a => a.StreetAddress).HasJsonPropertyName(PostalAddress.StreetAddressMember);
            address.Property(a => a.Locality).HasJsonPropertyName(PostalAddress.LocalityMember);
            address.Property(a => a.Region).HasJsonPropertyName(PostalAddress.RegionMember);
            address.Property(a => a.PostalCode).HasJsonPropertyName(PostalAddress.PostalCodeMember);
            address.Property(a => a.Country).HasJsonPropertyName(PostalAddress.CountryMember);
        });
    }
}
