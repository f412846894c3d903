using IdentityHub.Audit;

namespace IdentityHub.Data;

/// <summary>
/// What the database itself refuses to do to the audit trail, whoever asks (docs/design.md, "Audit trail"): an event
/// is inserted, sealed once (its link columns set, nothing else changed) and moved to the archive; it is never
/// updated otherwise nor deleted, an archived one never touched, the chain's head only moved forward. PostgreSQL gets
/// them from the migration <c>AuditTrail</c>; the embedded SQLite store when its schema is created.
/// </summary>
internal static class AuditTriggers
{
    private const string Content = AuditEventConfiguration.ContentColumns;

    public static string Postgres => $$"""
        CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                -- The retention job's move: the same event is already in the archive.
                IF OLD."Sequence" IS NOT NULL AND EXISTS (SELECT 1 FROM "AuditArchive" a WHERE a."Id" = OLD."Id" AND a."Hash" = OLD."Hash") THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit events are append-only: % cannot be deleted', OLD."Id" USING ERRCODE = '42501';
            END IF;
            IF OLD."Sequence" IS NULL AND NEW."Sequence" IS NOT NULL AND NEW."Hash" IS NOT NULL
                AND ROW({{Prefixed("NEW")}}) IS NOT DISTINCT FROM ROW({{Prefixed("OLD")}}) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit events are append-only: % can only be sealed, once', OLD."Id" USING ERRCODE = '42501';
        END
        $fn$;

        CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW."Sequence" > OLD."Sequence" THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'the audit chain''s head only moves forward' USING ERRCODE = '42501';
        END
        $fn$;

        CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
        END
        $fn$;

        CREATE TRIGGER "AuditEvents_append_only" BEFORE UPDATE OR DELETE ON "AuditEvents" FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
        CREATE TRIGGER "AuditEvents_no_truncate" BEFORE TRUNCATE ON "AuditEvents" FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
        CREATE TRIGGER "AuditArchive_append_only" BEFORE UPDATE OR DELETE ON "AuditArchive" FOR EACH ROW EXECUTE FUNCTION audit_refuse();
        CREATE TRIGGER "AuditArchive_no_truncate" BEFORE TRUNCATE ON "AuditArchive" FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
        CREATE TRIGGER "AuditChainHead_forward_only" BEFORE UPDATE OR DELETE ON "AuditChainHead" FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
        CREATE TRIGGER "AuditChainHead_no_truncate" BEFORE TRUNCATE ON "AuditChainHead" FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
        """;

    public const string DropPostgres = """
        DROP TRIGGER "AuditEvents_append_only" ON "AuditEvents";
        DROP TRIGGER "AuditEvents_no_truncate" ON "AuditEvents";
        DROP TRIGGER "AuditArchive_append_only" ON "AuditArchive";
        DROP TRIGGER "AuditArchive_no_truncate" ON "AuditArchive";
        DROP TRIGGER "AuditChainHead_forward_only" ON "AuditChainHead";
        DROP TRIGGER "AuditChainHead_no_truncate" ON "AuditChainHead";
        DROP FUNCTION audit_events_guard();
        DROP FUNCTION audit_head_guard();
        DROP FUNCTION audit_refuse();
        """;

    public static string Sqlite => $$"""
        CREATE TRIGGER IF NOT EXISTS "AuditEvents_no_delete" BEFORE DELETE ON "AuditEvents"
        WHEN OLD."Sequence" IS NULL OR NOT EXISTS (SELECT 1 FROM "AuditArchive" a WHERE a."Id" = OLD."Id" AND a."Hash" = OLD."Hash")
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS "AuditEvents_seal_only" BEFORE UPDATE ON "AuditEvents"
        WHEN NOT (OLD."Sequence" IS NULL AND NEW."Sequence" IS NOT NULL AND NEW."Hash" IS NOT NULL AND {{SqliteUnchanged()}})
        BEGIN SELECT RAISE(ABORT, 'audit events can only be sealed, once'); END;
        CREATE TRIGGER IF NOT EXISTS "AuditArchive_no_update" BEFORE UPDATE ON "AuditArchive" BEGIN SELECT RAISE(ABORT, 'AuditArchive is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS "AuditArchive_no_delete" BEFORE DELETE ON "AuditArchive" BEGIN SELECT RAISE(ABORT, 'AuditArchive is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS "AuditChainHead_no_delete" BEFORE DELETE ON "AuditChainHead" BEGIN SELECT RAISE(ABORT, 'the audit chain''s head only moves forward'); END;
        CREATE TRIGGER IF NOT EXISTS "AuditChainHead_forward_only" BEFORE UPDATE ON "AuditChainHead" WHEN NEW."Sequence" <= OLD."Sequence"
        BEGIN SELECT RAISE(ABORT, 'the audit chain''s head only moves forward'); END;
        """;

    private static string Prefixed(string row) => string.Join(", ", Content.Split(", ").Select(c => $"{row}.{c}"));

    private static string SqliteUnchanged() => string.Join(" AND ", Content.Split(", ").Select(c => $"NEW.{c} IS OLD.{c}"));
}
