-- coopmap's tables, registered so GIS tools see three layers: "sources"
-- (attributes: provenance and licence), "features" (co-ops and overlay
-- features of any geometry type) and "tours" (bike tours, their routes as
-- line strings). Only GeoPackage column types are used. Optional text is
-- NULL when absent. Times are UTC, 'YYYY-MM-DDTHH:MM:SS.sssZ'.

CREATE TABLE sources (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  title TEXT,
  description TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('coops', 'features', 'tours')),
  licence_id TEXT NOT NULL,
  licence_name TEXT,
  licence_url TEXT,
  attribution TEXT NOT NULL,
  owner TEXT,
  origin TEXT,
  retrieved_at DATETIME,
  updated_at DATETIME NOT NULL,
  feature_count INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE features (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
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
  updated_at DATETIME NOT NULL,
  version INTEGER NOT NULL,
  hash TEXT NOT NULL,
  search_text TEXT NOT NULL,
  geom GEOMETRY
);

-- Each index ends in id, so a filtered page comes out in id order without
-- a sort.
CREATE INDEX features_source_id ON features (source_id, id);
CREATE INDEX features_sector ON features (sector, id);
CREATE INDEX features_org_type ON features (org_type, id);

CREATE TABLE tours (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  region TEXT,
  description TEXT,
  stops TEXT NOT NULL,
  legs TEXT,
  distance_m REAL NOT NULL,
  updated_at DATETIME NOT NULL,
  version INTEGER NOT NULL,
  route LINESTRING
);

CREATE INDEX tours_source_id ON tours (source_id, id);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('sources', 'attributes', 'sources',
   'Imported datasets: licence, attribution, owner and origin of every feature and tour', NULL),
  ('features', 'features', 'features',
   'Co-operatives and overlay features from every source; source_id joins sources.id', 4326),
  ('tours', 'features', 'tours',
   'Co-op bike tours and their routes; source_id joins sources.id', 4326);

INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES
  ('features', 'geom', 'GEOMETRY', 4326, 0, 0),
  ('tours', 'route', 'LINESTRING', 4326, 0, 0);

-- RTree spatial indexes (GeoPackage 1.3 annex F.3, gpkg_rtree_index). The
-- triggers are the standard's, with <t>, <c> and <i> filled in; they call
-- ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY and ST_MaxY, which every
-- GeoPackage reader that writes (GDAL, QGIS, coopmap) provides.

INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
  ('features', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only'),
  ('tours', 'route', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_features_geom USING rtree(id, minx, maxx, miny, maxy);

CREATE TRIGGER rtree_features_geom_insert AFTER INSERT ON features
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_features_geom VALUES (
    NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)
  );
END;

CREATE TRIGGER rtree_features_geom_update1 AFTER UPDATE OF geom ON features
  WHEN OLD.fid = NEW.fid AND
       (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_features_geom VALUES (
    NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)
  );
END;

CREATE TRIGGER rtree_features_geom_update2 AFTER UPDATE OF geom ON features
  WHEN OLD.fid = NEW.fid AND
       (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_features_geom WHERE id = OLD.fid;
END;

CREATE TRIGGER rtree_features_geom_update3 AFTER UPDATE OF geom ON features
  WHEN OLD.fid != NEW.fid AND
       (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_features_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_features_geom VALUES (
    NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)
  );
END;

CREATE TRIGGER rtree_features_geom_update4 AFTER UPDATE ON features
  WHEN OLD.fid != NEW.fid AND
       (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_features_geom WHERE id IN (OLD.fid, NEW.fid);
END;

CREATE TRIGGER rtree_features_geom_delete AFTER DELETE ON features
  WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_features_geom WHERE id = OLD.fid;
END;

CREATE VIRTUAL TABLE rtree_tours_route USING rtree(id, minx, maxx, miny, maxy);

CREATE TRIGGER rtree_tours_route_insert AFTER INSERT ON tours
  WHEN (new.route NOT NULL AND NOT ST_IsEmpty(NEW.route))
BEGIN
  INSERT OR REPLACE INTO rtree_tours_route VALUES (
    NEW.fid,
    ST_MinX(NEW.route), ST_MaxX(NEW.route),
    ST_MinY(NEW.route), ST_MaxY(NEW.route)
  );
END;

CREATE TRIGGER rtree_tours_route_update1 AFTER UPDATE OF route ON tours
  WHEN OLD.fid = NEW.fid AND
       (NEW.route NOTNULL AND NOT ST_IsEmpty(NEW.route))
BEGIN
  INSERT OR REPLACE INTO rtree_tours_route VALUES (
    NEW.fid,
    ST_MinX(NEW.route), ST_MaxX(NEW.route),
    ST_MinY(NEW.route), ST_MaxY(NEW.route)
  );
END;

CREATE TRIGGER rtree_tours_route_update2 AFTER UPDATE OF route ON tours
  WHEN OLD.fid = NEW.fid AND
       (NEW.route ISNULL OR ST_IsEmpty(NEW.route))
BEGIN
  DELETE FROM rtree_tours_route WHERE id = OLD.fid;
END;

CREATE TRIGGER rtree_tours_route_update3 AFTER UPDATE OF route ON tours
  WHEN OLD.fid != NEW.fid AND
       (NEW.route NOTNULL AND NOT ST_IsEmpty(NEW.route))
BEGIN
  DELETE FROM rtree_tours_route WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_tours_route VALUES (
    NEW.fid,
    ST_MinX(NEW.route), ST_MaxX(NEW.route),
    ST_MinY(NEW.route), ST_MaxY(NEW.route)
  );
END;

CREATE TRIGGER rtree_tours_route_update4 AFTER UPDATE ON tours
  WHEN OLD.fid != NEW.fid AND
       (NEW.route ISNULL OR ST_IsEmpty(NEW.route))
BEGIN
  DELETE FROM rtree_tours_route WHERE id IN (OLD.fid, NEW.fid);
END;

CREATE TRIGGER rtree_tours_route_delete AFTER DELETE ON tours
  WHEN old.route NOT NULL
BEGIN
  DELETE FROM rtree_tours_route WHERE id = OLD.fid;
END;
