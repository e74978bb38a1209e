package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
	"github.com/coopmap/coopmap/store/sqlite"
)

// writeGeoPackage is the GeoPackage download (an export.WriteFunc), which
// needs a store to build the file, so it is wired here rather than in
// package export. It builds a GeoPackage in a new temporary directory
// (in os.TempDir) with store/sqlite: the source and its features through
// ReplaceSource, then the source's provenance as gpkg_metadata (see
// sqlite.Store.AddSourceMetadata). Closing the store leaves one
// self-contained file, which is then copied to w; the directory is removed
// before it returns, also on error. Nothing is written to w until the file
// is complete, so any error before that (from features, the disk or ctx)
// leaves w untouched. The file's sources table holds the provenance too.
//
// The file holds the whole download while it is copied, so it needs disk
// space of about the download's size, and memory stays flat: ReplaceSource
// streams the features into the file.
func writeGeoPackage(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) (err error) {
	dir, err := os.MkdirTemp("", "coopmap-download-")
	if err != nil {
		return fmt.Errorf("geopackage download: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, src.ID+".gpkg")
	if err := buildGeoPackage(ctx, path, src, features); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("geopackage download: %w", err)
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// buildGeoPackage writes the download's GeoPackage file at path.
func buildGeoPackage(ctx context.Context, path string, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error {
	st, err := sqlite.OpenWith(ctx, path, sqlite.Options{SmallCache: true})
	if err != nil {
		return fmt.Errorf("geopackage download: %w", err)
	}
	// The store counts and versions the copy itself. The tour
	// collections come as features: the copy holds them as such, under
	// the one source, leaving out stops that have no place.
	src.FeatureCount, src.Version = 0, 0
	if src.Kind == coopmap.KindTours {
		src.Kind = coopmap.KindFeatures
	}
	_, err = st.ReplaceSource(ctx, src, placed(src.ID, features))
	if err == nil {
		err = st.AddSourceMetadata(ctx, src)
	}
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("geopackage download: %w", cerr)
	}
	return err
}

// placed returns the features that have a geometry, as features of the
// source with id sourceID.
func placed(sourceID string, features iter.Seq2[coopmap.Feature, error]) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for f, err := range features {
			if err == nil && f.Geometry == nil {
				continue
			}
			f.SourceID = sourceID
			if !yield(f, err) {
				return
			}
		}
	}
}

var _ export.WriteFunc = writeGeoPackage
