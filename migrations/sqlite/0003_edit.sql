-- 0003: editing. feature_revisions keeps past versions of records, and
-- tombstones of deleted ones; suggestions is the public, moderated queue.
-- Neither is registered in gpkg_contents: they are the server's, not
-- layers for GIS tools, and a deleted record is gone from the features
-- layer (it lives on only here), so every reader of the file, coopmap's
-- or GDAL's, sees exactly the live records.
--
-- Which versions are kept: every version made by an edit (its row is
-- written with the edit, so the newest revision of an edited record equals
-- its live row), every tombstone, and every version made by an import that
-- was later superseded (copied here when an edit or import replaces it).
-- A live version made by an import is read from the features row itself:
-- a first import writes nothing here. Columns mirror features; geom is a
-- GeoPackage geometry blob; changed_by is NULL for an import.

CREATE TABLE feature_revisions (
  feature_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'revert', 'import', 'suggestion')),
  changed_by TEXT,
  note TEXT,
  at DATETIME NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  name TEXT,
  sector TEXT,
  org_type TEXT,
  address TEXT,
  postcode TEXT,
  website TEXT,
  email TEXT,
  description TEXT,
  founded TEXT,
  status TEXT,
  properties TEXT,
  precision TEXT NOT NULL,
  geom BLOB,
  PRIMARY KEY (feature_id, version)
) WITHOUT ROWID;

-- DeletedFeatures lists a source's tombstones.
CREATE INDEX feature_revisions_deleted ON feature_revisions (source_id, at) WHERE deleted = 1;

-- proposed is the proposed record as coopmap.Feature JSON (without its
-- geometry), proposed_geom its geometry as a GeoPackage blob. client_key is
-- the web layer's keyed hash of the client address, never the address.
CREATE TABLE suggestions (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  feature_id TEXT,
  base_version INTEGER NOT NULL DEFAULT 0,
  proposed TEXT NOT NULL,
  proposed_geom BLOB,
  name TEXT,
  contact TEXT,
  note TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
  reason TEXT,
  created_at DATETIME NOT NULL,
  decided_by TEXT,
  decided_at DATETIME,
  feature_version INTEGER,
  client_key TEXT NOT NULL
);

CREATE INDEX suggestions_source ON suggestions (source_id, status, id);
CREATE INDEX suggestions_client ON suggestions (client_key, status);
