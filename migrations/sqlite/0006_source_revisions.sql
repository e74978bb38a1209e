-- 0006: source metadata history. source_revisions keeps every version of
-- every source's metadata (what PATCH /collections/{id} changes), written
-- with the change that made it, so the newest revision of a source equals
-- its sources row: the import that created the source ('create'), an edit
-- ('update'), a revert ('revert') and a re-import that changed the
-- metadata ('import'). version counts the metadata's own versions 1, 2,
-- 3…, not sources.version. Like feature_revisions it is not registered in
-- gpkg_contents: it is the server's, not a layer. Columns mirror sources;
-- changed_by is NULL for an import.

CREATE TABLE source_revisions (
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'revert', 'import')),
  changed_by TEXT,
  note TEXT,
  at DATETIME NOT NULL,
  title TEXT,
  description TEXT,
  licence_id TEXT NOT NULL,
  licence_name TEXT,
  licence_url TEXT,
  attribution TEXT NOT NULL,
  owner TEXT,
  origin TEXT,
  retrieved_at DATETIME,
  PRIMARY KEY (source_id, version)
) WITHOUT ROWID;

-- Sources made before history was kept start it with their current
-- metadata.
INSERT INTO source_revisions (source_id, version, op, at, title, description, licence_id, licence_name,
  licence_url, attribution, owner, origin, retrieved_at)
SELECT id, 1, 'create', updated_at, title, description, licence_id, licence_name,
  licence_url, attribution, owner, origin, retrieved_at FROM sources;
