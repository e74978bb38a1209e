package sqlite

import (
	"context"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/coopmap/coopmap"
)

// The GeoPackage metadata extension (OGC 12-128r17 §F.8): the tables, and
// their registration in gpkg_extensions. NULL column names make UNIQUE
// useless against repeats, so registration checks first.
const (
	createMetadata = `CREATE TABLE IF NOT EXISTS gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset',
  md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml',
  metadata TEXT NOT NULL DEFAULT ''
)`
	createMetadataReference = `CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
  reference_scope TEXT NOT NULL,
  table_name TEXT,
  column_name TEXT,
  row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL,
  md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id)
)`
	registerMetadata = `INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
SELECT ?, NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata', 'read-write'
WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = 'gpkg_metadata')`
	insertMetadata = `INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata)
VALUES ('dataset', 'http://gdal.org', 'text/xml', ?)`
	// One reference makes the row the file's metadata, the other the
	// features layer's, so tools show it at both levels.
	insertMetadataReferences = `INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id, timestamp)
VALUES ('geopackage', NULL, ?1, ?2), ('table', 'features', ?1, ?2)`
)

// gdalMetadata is GDAL's metadata document, which GDAL, ogrinfo and QGIS
// read from gpkg_metadata rows whose md_standard_uri is http://gdal.org.
type gdalMetadata struct {
	XMLName xml.Name `xml:"GDALMultiDomainMetadata"`
	Items   []mdi    `xml:"Metadata>MDI"`
}

type mdi struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

// AddSourceMetadata records src's provenance in the file's metadata,
// through the GeoPackage metadata extension (creating its tables and
// registering it when needed): one gpkg_metadata row, referenced from the
// whole GeoPackage and from the features table, in GDAL's metadata format
// with the items SOURCE_ID, TITLE, LICENCE (the id), LICENCE_NAME,
// LICENCE_URL, ATTRIBUTION, OWNER, ORIGIN and RETRIEVED (RFC 3339),
// leaving out empty ones. ogrinfo lists them under Metadata, and QGIS
// shows them in the layer's properties. Each call adds a row, so it
// suits files written once, such as downloads. The error is the
// database's or ctx's.
func (s *Store) AddSourceMetadata(ctx context.Context, src coopmap.Source) error {
	src.Licence = src.Licence.Complete()
	md := gdalMetadata{}
	for _, it := range []mdi{
		{"SOURCE_ID", src.ID}, {"TITLE", src.Title}, {"LICENCE", src.Licence.ID}, {"LICENCE_NAME", src.Licence.Name},
		{"LICENCE_URL", src.Licence.URL}, {"ATTRIBUTION", src.Attribution}, {"OWNER", src.Owner}, {"ORIGIN", src.Origin},
	} {
		if it.Value != "" {
			md.Items = append(md.Items, it)
		}
	}
	if !src.RetrievedAt.IsZero() {
		md.Items = append(md.Items, mdi{"RETRIEVED", src.RetrievedAt.UTC().Format(time.RFC3339)})
	}
	doc, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return fmt.Errorf("sqlite: metadata: %w", err)
	}

	op := fmt.Sprintf("add metadata of source %q", src.ID)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbError(ctx, op, err)
	}
	defer tx.Rollback()
	for _, q := range []string{createMetadata, createMetadataReference} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return dbError(ctx, op, err)
		}
	}
	for _, table := range []string{"gpkg_metadata", "gpkg_metadata_reference"} {
		if _, err := tx.ExecContext(ctx, registerMetadata, table, table); err != nil {
			return dbError(ctx, op, err)
		}
	}
	res, err := tx.ExecContext(ctx, insertMetadata, string(doc)+"\n")
	if err != nil {
		return dbError(ctx, op, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(ctx, op, err)
	}
	if _, err := tx.ExecContext(ctx, insertMetadataReferences, id, timeArg(time.Now())); err != nil {
		return dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return dbError(ctx, op, err)
	}
	return nil
}
