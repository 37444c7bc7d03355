-- Up Migration
-- Keys other systems (a warehouse) call the API with instead of a person's
-- token. The secret is never stored: only its scrypt hash with a salt of its
-- own, so a copy of this table lets no one call the API.
CREATE TABLE api_keys (
  -- The public part of the secret (`pck_<id>_<secret>`): a call finds its key by it.
  id          CHAR(16)     PRIMARY KEY,
  name        VARCHAR(100) NOT NULL,
  -- 'stock:write', 'orders:read': the routes the key may call.
  scopes      TEXT[]       NOT NULL CHECK (cardinality(scopes) > 0),
  salt        BYTEA        NOT NULL,
  secret_hash BYTEA        NOT NULL,
  -- The administrator's `sub`.
  created_by  VARCHAR(128) NOT NULL,
  created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  expires_at  TIMESTAMPTZ  NOT NULL,
  -- Set once, by a revocation; the row stays so that the audit log keeps naming a real key.
  revoked_at  TIMESTAMPTZ
);

-- Down Migration
DROP TABLE api_keys;
