-- 0005: tour history. tour_revisions keeps every version of every tour,
-- written with the change that made it (so the newest revision of a live
-- tour equals its tours row), and a tombstone for a deleted tour, whose
-- content is the tour as it was when deleted. Like feature_revisions it is
-- not registered in gpkg_contents: it is the server's, not a layer.
-- Columns mirror tours; route is a GeoPackage blob; stops keep only the
-- reference and note of a stop on a record, as tours.stops does.
-- changed_by is NULL for a change made without a name (the CLI, Writer).

CREATE TABLE tour_revisions (
  tour_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'revert')),
  changed_by TEXT,
  note TEXT,
  at DATETIME NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  title TEXT NOT NULL,
  region TEXT,
  description TEXT,
  stops TEXT NOT NULL,
  legs TEXT,
  distance_m REAL NOT NULL,
  route BLOB,
  PRIMARY KEY (tour_id, version)
) WITHOUT ROWID;

-- Tours made before history was kept start it with their current version.
INSERT INTO tour_revisions (tour_id, version, source_id, op, at, title, region, description,
  stops, legs, distance_m, route)
SELECT id, version, source_id, CASE WHEN version = 1 THEN 'create' ELSE 'update' END, updated_at,
  title, region, description, stops, legs, distance_m, route FROM tours;
