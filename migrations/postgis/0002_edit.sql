-- 0002: editing. feature_revisions keeps past versions of records, and
-- tombstones of deleted ones; suggestions is the public, moderated queue.
-- A deleted record is gone from features (it lives on only here), so
-- every read, count, tile and download sees exactly the live records.
--
-- Which versions are kept: every version made by an edit (its row is
-- written with the edit, so the newest revision of an edited record equals
-- its live row), every tombstone, and every version made by an import that
-- was later superseded (copied here when an edit or import replaces it).
-- A live version made by an import is read from the features row itself:
-- a first import writes nothing here. changed_by is '' for an import.

CREATE TABLE feature_revisions (
    feature_id  text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    source_id   text COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    op          text NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'revert', 'import', 'suggestion')),
    changed_by  text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    name        text NOT NULL DEFAULT '',
    sector      text NOT NULL DEFAULT '',
    org_type    text NOT NULL DEFAULT '',
    address     text NOT NULL DEFAULT '',
    postcode    text NOT NULL DEFAULT '',
    website     text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    founded     text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT '',
    properties  jsonb,
    precision   text NOT NULL,
    geom        geometry(Geometry, 4326) NOT NULL,
    PRIMARY KEY (feature_id, version)
);

-- DeletedFeatures lists a source's tombstones.
CREATE INDEX feature_revisions_deleted_idx ON feature_revisions (source_id, at) WHERE deleted;

-- proposed is the proposed record as coopmap.Feature JSON (without its
-- geometry), proposed_geom its geometry. client_key is the web layer's
-- keyed hash of the client address, never the address.
CREATE TABLE suggestions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id       text COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    feature_id      text COLLATE "C" NOT NULL DEFAULT '',
    base_version    bigint NOT NULL DEFAULT 0,
    proposed        jsonb NOT NULL,
    proposed_geom   geometry(Geometry, 4326),
    name            text NOT NULL DEFAULT '',
    contact         text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    reason          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    decided_by      text NOT NULL DEFAULT '',
    decided_at      timestamptz,
    feature_version bigint NOT NULL DEFAULT 0,
    client_key      text NOT NULL
);

CREATE INDEX suggestions_source_idx ON suggestions (source_id, status, id);
CREATE INDEX suggestions_client_idx ON suggestions (client_key) WHERE status = 'pending';
