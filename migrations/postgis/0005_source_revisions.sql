-- 0005: source metadata history. source_revisions keeps every version of
-- every source's metadata (what PATCH /collections/{id} changes), written
-- with the change that made it, so the newest revision of a source equals
-- its sources row: the import that created the source ('create'), an edit
-- ('update'), a revert ('revert') and a re-import that changed the
-- metadata ('import'). version counts the metadata's own versions 1, 2,
-- 3…, not sources.version. Columns mirror sources; changed_by is '' for an
-- import.

CREATE TABLE source_revisions (
    source_id    text COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    version      bigint NOT NULL,
    op           text NOT NULL CHECK (op IN ('create', 'update', 'revert', 'import')),
    changed_by   text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL,
    title        text NOT NULL DEFAULT '',
    description  text NOT NULL DEFAULT '',
    licence_id   text NOT NULL,
    licence_name text NOT NULL DEFAULT '',
    licence_url  text NOT NULL DEFAULT '',
    attribution  text NOT NULL,
    owner        text NOT NULL DEFAULT '',
    origin       text NOT NULL DEFAULT '',
    retrieved_at timestamptz,
    PRIMARY KEY (source_id, version)
);

-- Sources made before history was kept start it with their current
-- metadata.
INSERT INTO source_revisions (source_id, version, op, at, title, description, licence_id, licence_name,
    licence_url, attribution, owner, origin, retrieved_at)
SELECT id, 1, 'create', updated_at, title, description, licence_id, licence_name,
    licence_url, attribution, owner, origin, retrieved_at FROM sources;
