// The peer's PostgreSQL store (PEER_STORE=postgres): one table of JSON payloads keyed by model and id, every write
// committed with the cluster's durability (synchronous_commit as configured, on by default), so that the peer is
// measured with the same kind of durability as the hub (bench/README.md, "The peer on PostgreSQL").
//
// It follows oidc-provider's adapter interface (upsert, find, findByUid, findByUserCode, consume, destroy,
// revokeByGrantId). Expired rows are never returned; a background sweep deletes them, as the hub's pruning does.

import pg from 'pg';

const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_expires_at ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
`;

// Named statements: prepared once per connection, as the hub's are (automatic preparation in Npgsql).
const UPSERT = {
  name: 'oidc_upsert',
  text: `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int) END)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`,
};
const FIND = 'SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND {column} = $2 AND (expires_at IS NULL OR expires_at > now())';

function asPayload(row) {
  if (!row) return undefined;
  const payload = row.payload;
  if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
  return payload;
}

export async function createPostgresAdapter(connectionString, clockTolerance = 0) {
  const pool = new pg.Pool({ connectionString, max: Number.parseInt(process.env.PEER_PG_POOL || '20', 10) });
  await pool.query(SCHEMA);
  const sweep = setInterval(() => {
    pool.query('DELETE FROM oidc_payloads WHERE expires_at < now()').catch(() => {});
  }, 60_000);
  sweep.unref();

  const find = (model, column, value) => pool
    .query({ name: `oidc_find_${column}`, text: FIND.replace('{column}', column), values: [model, value] })
    .then((result) => asPayload(result.rows[0]));

  class PostgresAdapter {
    constructor(model) {
      this.model = model;
    }

    async upsert(id, payload, expiresIn) {
      const expires = typeof expiresIn === 'number' ? expiresIn + clockTolerance : null;
      await pool.query({
        ...UPSERT,
        values: [
          this.model, id, payload,
          grantable.has(this.model) ? payload.grantId ?? null : null,
          payload.userCode ?? null,
          this.model === 'Session' ? payload.uid ?? null : null,
          expires,
        ],
      });
    }

    find(id) { return find(this.model, 'id', id); }

    findByUid(uid) { return find(this.model, 'uid', uid); }

    findByUserCode(userCode) { return find(this.model, 'user_code', userCode); }

    async consume(id) {
      await pool.query({
        name: 'oidc_consume',
        text: 'UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2',
        values: [this.model, id],
      });
    }

    async destroy(id) {
      await pool.query({ name: 'oidc_destroy', text: 'DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', values: [this.model, id] });
    }

    async revokeByGrantId(grantId) {
      await pool.query({ name: 'oidc_revoke', text: 'DELETE FROM oidc_payloads WHERE grant_id = $1', values: [grantId] });
    }
  }

  return (model) => new PostgresAdapter(model);
}
