-- 0004: tour history. tour_revisions keeps every version of every tour,
-- written with the change that made it (so the newest revision of a live
-- tour equals its tours row), and a tombstone for a deleted tour, whose
-- content is the tour as it was when deleted. Columns mirror tours; stops
-- keep only the reference and note of a stop on a record, as tours.stops
-- does. changed_by is '' for a change made without a name (the CLI,
-- Writer).

CREATE TABLE tour_revisions (
    tour_id     text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    source_id   text COLLATE "C" NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    op          text NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'revert')),
    changed_by  text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    title       text NOT NULL,
    region      text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    stops       jsonb NOT NULL,
    legs        jsonb,
    route       geometry(LineString, 4326),
    distance_m  double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (tour_id, version)
);

-- Tours made before history was kept start it with their current version.
INSERT INTO tour_revisions (tour_id, version, source_id, op, at, title, region, description,
    stops, legs, route, distance_m)
SELECT id, version, source_id, CASE WHEN version = 1 THEN 'create' ELSE 'update' END, updated_at,
    title, region, description, stops, legs, route, distance_m FROM tours;
