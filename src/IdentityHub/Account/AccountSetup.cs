namespace IdentityHub.Account;

/// <summary>
/// The person's own view of what the hub holds about them (<c>/account</c>, its page under Pages/Account): it reads
/// every feature and changes nothing but what the person may change there (docs/design.md, "Citizen dashboard").
/// </summary>
internal static class AccountSetup
{
    public static WebApplicationBuilder AddAccount(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ServiceNames>();
        builder.Services.AddScoped<AccountDashboard>();
        builder.Services.AddScoped<PersonalDataExport>();
        return builder;
    }
}
