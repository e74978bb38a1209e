package postgis

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Geometry crosses the PostGIS boundary as ISO WKB: written with
// ST_GeomFromWKB($n, 4326) and read with ST_AsBinary(geom). WKB carries
// IEEE doubles, so coordinates round-trip exactly.

// encodeGeom returns g as WKB, or nil (SQL NULL) for a nil geometry.
func encodeGeom(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encoding %s as WKB: %w", g.GeoJSONType(), err)
	}
	return b, nil
}

// decodeGeom parses WKB read from the database.
func decodeGeom(b []byte) (orb.Geometry, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decoding WKB: %w", err)
	}
	return g, nil
}

// decodeLine parses a WKB line string, or returns nil for SQL NULL.
func decodeLine(b []byte) (orb.LineString, error) {
	if b == nil {
		return nil, nil
	}
	g, err := decodeGeom(b)
	if err != nil {
		return nil, err
	}
	l, ok := g.(orb.LineString)
	if !ok {
		return nil, fmt.Errorf("decoding WKB: got a %s, want a LineString", g.GeoJSONType())
	}
	return l, nil
}
