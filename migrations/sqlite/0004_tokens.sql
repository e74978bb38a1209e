-- 0004: API tokens. Only the SHA-256 digest of each secret is kept (see
-- coopmap.HashToken). The table is deliberately not registered in
-- gpkg_contents: it is the server's, not a layer for GIS tools. scopes is
-- a JSON array of strings. Times are UTC, 'YYYY-MM-DDTHH:MM:SS.sssZ'.

CREATE TABLE coopmap_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  hash BLOB NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  expires_at DATETIME,
  revoked_at DATETIME,
  last_used_at DATETIME
);
