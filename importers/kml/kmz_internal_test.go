package kml

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

type nopEmitter struct{ n int }

func (e *nopEmitter) Feature(f coopmap.Feature, where string) error { e.n++; return nil }
func (e *nopEmitter) Problem(where, reason string)                  {}

// TestKMZLimits checks the size limits with small values, as the real
// ones would need hundreds of megabytes.
func TestKMZLimits(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("doc.kml")
	// Compresses to a few kilobytes: a small zip bomb.
	f.Write([]byte("<kml>" + strings.Repeat("<Folder></Folder>", 100_000) + "</kml>"))
	w.Close()

	e := &nopEmitter{}
	err := parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "bomb.kmz", e, kmzLimits{size: 1 << 20, entries: 10, kml: 64 << 10})
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "doc.kml in the KMZ is larger") {
		t.Errorf("uncompressed limit: got %v", err)
	}
	err = parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "big.kmz", e, kmzLimits{size: int64(b.Len() - 1), entries: 10, kml: 64 << 20})
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "KMZ is larger") {
		t.Errorf("archive limit: got %v", err)
	}
	if err := parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "ok.kmz", e, kmzLimits{size: 1 << 20, entries: 10, kml: 64 << 20}); err != nil {
		t.Errorf("within the limits: %v", err)
	}
}
