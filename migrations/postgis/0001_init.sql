-- 0001: the first coopmap schema: sources, their features, and tours.
--
-- Ids are COLLATE "C" so that ORDER BY id and the keyset condition id > $n
-- compare bytes, whatever the database's default collation: pages come in
-- the same order as from the GeoPackage store, and the btree serves both.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE sources (
    id            text COLLATE "C" PRIMARY KEY,
    title         text NOT NULL DEFAULT '',
    description   text NOT NULL DEFAULT '',
    kind          text NOT NULL CHECK (kind IN ('coops', 'features', 'tours')),
    licence_id    text NOT NULL,
    licence_name  text NOT NULL DEFAULT '',
    licence_url   text NOT NULL DEFAULT '',
    attribution   text NOT NULL,
    owner         text NOT NULL DEFAULT '',
    origin        text NOT NULL DEFAULT '',
    retrieved_at  timestamptz,
    updated_at    timestamptz NOT NULL,
    -- features, or tours for a tours source; maintained by the store
    feature_count integer NOT NULL DEFAULT 0,
    version       bigint NOT NULL DEFAULT 1
);

CREATE TABLE features (
    id          text COLLATE "C" PRIMARY KEY,
    source_id   text COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
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
    -- NULL when the feature has no properties, '{}' when it has an empty set
    properties  jsonb,
    precision   text NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL,
    -- coopmap.Feature.Hash: tells an updated record from an unchanged one
    hash        text NOT NULL,
    -- coopmap.Feature.SearchText: folded, so LIKE needs no collation tricks
    search_text text NOT NULL,
    geom        geometry(Geometry, 4326) NOT NULL
);

CREATE INDEX features_geom_idx ON features USING gist (geom);
-- Keyset pages within a source and SourceFeatures walk this index.
CREATE INDEX features_source_id_idx ON features (source_id, id);
CREATE INDEX features_sector_idx ON features (sector, id);
CREATE INDEX features_org_type_idx ON features (org_type, id);
-- Serves search_text LIKE '%…%' for queries of three or more characters.
CREATE INDEX features_search_text_idx ON features USING gin (search_text gin_trgm_ops);

CREATE TABLE tours (
    id          text COLLATE "C" PRIMARY KEY,
    source_id   text COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    title       text NOT NULL,
    region      text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    -- [{"feature_id","note"} | {"name","location":[lon,lat],"note"}]: a stop
    -- that references a feature keeps only its id and note, so corrections
    -- to the feature flow into the tour when it is read.
    stops       jsonb NOT NULL,
    -- [{"geometry":[[lon,lat],…],"distance_m","duration_s"}] or NULL
    legs        jsonb,
    route       geometry(LineString, 4326),
    distance_m  double precision NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL
);

CREATE INDEX tours_source_id_idx ON tours (source_id, id);
