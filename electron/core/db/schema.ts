import type { Migration } from './migrations'

/**
 * The numbered schema migrations. Append only: never edit one that has shipped (the runner refuses
 * a changed checksum). Secrets have no column anywhere: they live in the OS keychain.
 */
export const schemaMigrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'datasources, tokens, renewal state, history, leases',
    sql: `
      CREATE TABLE datasources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        url TEXT NOT NULL,
        auth_type TEXT NOT NULL CHECK (auth_type IN ('none', 'oauth2-password')),
        token_url TEXT,
        client_id TEXT,
        client_auth TEXT,
        username TEXT,
        remember_password INTEGER NOT NULL DEFAULT 1,
        scope TEXT NOT NULL DEFAULT '',
        extra_params TEXT NOT NULL DEFAULT '[]',
        has_client_secret INTEGER NOT NULL DEFAULT 0,
        has_password INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE tokens (
        datasource_id TEXT PRIMARY KEY REFERENCES datasources (id) ON DELETE CASCADE,
        token_type TEXT NOT NULL,
        granted_scope TEXT,
        requested_scope TEXT NOT NULL,
        obtained_at INTEGER NOT NULL,
        expires_at INTEGER,
        has_refresh_token INTEGER NOT NULL
      );
      CREATE TABLE renewal_state (
        datasource_id TEXT PRIMARY KEY REFERENCES datasources (id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_error TEXT,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        datasource_id TEXT NOT NULL REFERENCES datasources (id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        grant_type TEXT,
        attempt INTEGER,
        error TEXT
      );
      CREATE INDEX history_by_datasource ON history (datasource_id, id);
      -- A short lease per datasource so that the app and the CLI never renew the same token at once.
      CREATE TABLE renewal_leases (
        datasource_id TEXT PRIMARY KEY REFERENCES datasources (id) ON DELETE CASCADE,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'where the expiry came from, the id_token outcome, discovery and vendor preset',
    sql: `
      -- 'expires_in' | 'jwt-exp' | 'none'; NULL for tokens stored before this was recorded.
      ALTER TABLE tokens ADD COLUMN expires_from TEXT;
      -- 'none' | 'ignored' | 'validated' | 'invalid'
      ALTER TABLE tokens ADD COLUMN id_token TEXT;
      -- The issuer URL the token URL was discovered from ('' when typed by hand) and what its
      -- metadata advertised (JSON, written by the core only), and the vendor preset of the form.
      ALTER TABLE datasources ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
      ALTER TABLE datasources ADD COLUMN discovery TEXT;
      ALTER TABLE datasources ADD COLUMN preset TEXT NOT NULL DEFAULT 'other';
    `,
  },
  {
    version: 3,
    name: 'configuration revision, database id, versioned keychain accounts',
    sql: `
      -- Bumped by every save that changes what a token depends on; a token is stored only under the
      -- revision its request was made for (a token for old settings is never kept under new ones).
      ALTER TABLE datasources ADD COLUMN config_revision INTEGER NOT NULL DEFAULT 1;
      -- Names this database in its keychain account names, so that two data folders sharing the
      -- keychain service never sweep each other's entries.
      CREATE TABLE database_identity (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        id TEXT NOT NULL
      );
      INSERT INTO database_identity (singleton, id) VALUES (1, lower(hex(randomblob(16))));
      -- Which keychain account holds each secret. A changed secret goes to a new account first and
      -- this row is switched after, so a crash in between leaves the old, consistent pair.
      CREATE TABLE secret_accounts (
        datasource_id TEXT NOT NULL REFERENCES datasources (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('client-secret', 'password', 'access-token', 'refresh-token')),
        account TEXT NOT NULL UNIQUE,
        PRIMARY KEY (datasource_id, kind)
      );
      -- Entries written to the keychain whose row is not committed yet: the sweep leaves them alone.
      CREATE TABLE secret_writes (
        account TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        started_at INTEGER NOT NULL
      );
      -- Entries written before this migration keep their old names ("<datasource id>/<kind>").
      INSERT INTO secret_accounts (datasource_id, kind, account)
        SELECT id, 'client-secret', id || '/client-secret' FROM datasources WHERE has_client_secret = 1;
      INSERT INTO secret_accounts (datasource_id, kind, account)
        SELECT id, 'password', id || '/password' FROM datasources WHERE has_password = 1;
      INSERT INTO secret_accounts (datasource_id, kind, account)
        SELECT datasource_id, 'access-token', datasource_id || '/access-token' FROM tokens;
      INSERT INTO secret_accounts (datasource_id, kind, account)
        SELECT datasource_id, 'refresh-token', datasource_id || '/refresh-token' FROM tokens WHERE has_refresh_token = 1;
    `,
  },
  {
    version: 4,
    name: 'token bundles: many datasources share one keychain item, each pointer names its entry',
    sql: `
      -- A pointer may name an entry inside a bundle item (entry = "<datasource id>/<kind>"), so one
      -- account is shared by many rows: the table is rebuilt without UNIQUE (account) and with an
      -- index, which tells whether any row still points to a bundle before it is released.
      CREATE TABLE secret_accounts_new (
        datasource_id TEXT NOT NULL REFERENCES datasources (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('client-secret', 'password', 'access-token', 'refresh-token')),
        account TEXT NOT NULL,
        -- NULL: the item holds this secret alone; otherwise the key of its entry in the bundle.
        entry TEXT,
        PRIMARY KEY (datasource_id, kind)
      );
      INSERT INTO secret_accounts_new (datasource_id, kind, account) SELECT datasource_id, kind, account FROM secret_accounts;
      DROP TABLE secret_accounts;
      ALTER TABLE secret_accounts_new RENAME TO secret_accounts;
      CREATE INDEX secret_accounts_by_account ON secret_accounts (account);
    `,
  },
  {
    version: 5,
    name: 'the renewer records when the server refused the stored refresh token',
    sql: `
      -- Set by the renewer when the token endpoint refuses this token's refresh token (a new token
      -- row starts without it); status reads it instead of guessing from the renewal state.
      ALTER TABLE tokens ADD COLUMN refresh_rejected_at INTEGER;
      -- Before it was recorded, a refusal left only its words in the sign-in-needed error.
      UPDATE tokens SET refresh_rejected_at = (SELECT updated_at FROM renewal_state WHERE renewal_state.datasource_id = tokens.datasource_id)
        WHERE has_refresh_token = 1 AND datasource_id IN (
          SELECT datasource_id FROM renewal_state WHERE state = 'sign-in-needed' AND last_error LIKE '%The refresh token is no longer accepted%');
    `,
  },
  {
    version: 6,
    name: 'when the orphan sweep last listed the keychain',
    sql: `
      -- The sweep lists every keychain item, which holds the keychain for seconds with many
      -- datasources: it runs when a process died with writes in progress, or once a week (NULL: never).
      ALTER TABLE database_identity ADD COLUMN last_sweep_at INTEGER;
    `,
  },
]
