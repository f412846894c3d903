using SampleRelyingParty.Authentication;
using SampleRelyingParty.Hosting;

var builder = ServiceEnvironment.CreateBuilder(args);
builder.AddNationalIdLogin();
builder.Services.AddHttpClient<DataRecords>(client => client.Timeout = TimeSpan.FromSeconds(5));
builder.Services.AddRazorPages();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapNationalIdLogin();
app.MapRazorPages();
app.Run();
