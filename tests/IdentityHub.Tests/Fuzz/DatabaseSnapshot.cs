using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IdentityHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityHub.Tests.Fuzz;

/// <summary>
/// Every table of the hub's model, each as its row count and a digest of its rows' values: two snapshots are equal
/// only if nothing was inserted, updated or deleted in between.
/// </summary>
public sealed record DatabaseSnapshot(IReadOnlyDictionary<string, (int Rows, string Digest)> Tables)
{
    public static async Task<DatabaseSnapshot> TakeAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            var result = new SortedDictionary<string, (int, string)>(StringComparer.Ordinal);
            foreach (var table in tables)
            {
                result[table] = await DigestAsync(connection, table);
            }
            return new DatabaseSnapshot(result);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>What differs from <paramref name="before"/>, one line per table; empty when nothing does.</summary>
    public IReadOnlyList<string> ChangesSince(DatabaseSnapshot before) =>
        [.. Tables.Keys.Union(before.Tables.Keys).Order(StringComparer.Ordinal)
            .Where(t => !before.Tables.TryGetValue(t, out var was) || !Tables.TryGetValue(t, out var now) || was != now)
            .Select(t => $"{t}: {Describe(before.Tables.GetValueOrDefault(t))} -> {Describe(Tables.GetValueOrDefault(t))}")];

    private static string Describe((int Rows, string Digest) table) => $"{table.Rows} rows ({table.Digest[..Math.Min(12, table.Digest.Length)]})";

    private static async Task<(int, string)> DigestAsync(DbConnection connection, string table)
    {
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The table names come from the hub's own model.
        command.CommandText = $"SELECT * FROM \"{table}\"";
#pragma warning restore CA2100
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        var values = new StringBuilder();
        while (await reader.ReadAsync())
        {
            values.Clear();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.GetValue(i);
                values.Append(value switch
                {
                    DBNull => "∅",
                    byte[] bytes => Convert.ToHexString(bytes),
                    IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                }).Append('\u001f');
            }
            rows.Add(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(values.ToString()))));
        }
        rows.Sort(StringComparer.Ordinal);
        return (rows.Count, Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(string.Concat(rows)))));
    }
}
