using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Metadata;

namespace IdentityHub.Data;

/// <summary>
/// A query compiled once per EF Core model, for the lookups every protocol request makes: a LINQ query is otherwise
/// rebuilt, its parameters extracted and its cache key hashed on each call. A compiled query serves only the model
/// it was compiled for, and one process can hold two (the tests run SQLite and PostgreSQL hubs side by side).
/// </summary>
internal sealed class CompiledQueries<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> byModel = new();

    public TQuery For(HubDbContext db) => byModel.GetValue(db.Model, _ => compile());
}
