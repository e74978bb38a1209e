-- 0003: API tokens. Only the SHA-256 digest of each secret is kept (see
-- coopmap.HashToken); the unique index on it serves every authorised
-- request's lookup.

CREATE TABLE tokens (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    hash         bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
