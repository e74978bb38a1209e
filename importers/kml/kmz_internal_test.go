package kml

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

type nopEmitter struct{ n int }

func (e *nopEmitter) Feature(f coopmap.Feature, where string) error { e.n++; return nil }
func (e *nopEmitter) Problem(where, reason string)                  {}

// limits returns the default KMZ limits changed by set.
func limits(set func(*kmzLimits)) kmzLimits {
	l := defaultKMZLimits()
	set(&l)
	return l
}

// TestKMZLimits checks the size limits with small values, as the real
// ones would need hundreds of megabytes.
func TestKMZLimits(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("doc.kml")
	// 1.7 MB that compresses to a few kilobytes: a small zip bomb.
	f.Write([]byte("<kml>" + strings.Repeat("<Folder></Folder>", 100_000) + "</kml>"))
	w.Close()

	e := &nopEmitter{}
	err := parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "bomb.kmz", e, limits(func(l *kmzLimits) { l.size, l.entries, l.kml = 1<<20, 10, 64<<10 }))
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "doc.kml in the KMZ is larger") || !strings.Contains(err.Error(), "declares 1700011 bytes") {
		t.Errorf("uncompressed limit: got %v", err)
	}
	err = parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "big.kmz", e, limits(func(l *kmzLimits) { l.size = int64(b.Len() - 1) }))
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "KMZ is larger") {
		t.Errorf("archive limit: got %v", err)
	}
	err = parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "bomb.kmz", e, limits(func(l *kmzLimits) { l.ratioFloor = 1 << 20 }))
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "refused as a zip bomb") {
		t.Errorf("ratio limit: got %v", err)
	}
	if err := parseKMZ(context.Background(), bytes.NewReader(b.Bytes()), "ok.kmz", e, defaultKMZLimits()); err != nil {
		t.Errorf("within the limits (under the ratio's floor): %v", err)
	}
}

// rawKMZ is a KMZ whose doc.kml is data deflated, with the uncompressed
// size its directory declares set to declared, whatever data's length.
func rawKMZ(t *testing.T, data []byte, declared uint64) []byte {
	t.Helper()
	var packed bytes.Buffer
	fw, _ := flate.NewWriter(&packed, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateRaw(&zip.FileHeader{Name: "doc.kml", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(packed.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(packed.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestKMZDeclaredSize checks that the refusal comes from the archive's
// directory, before inflating (a 1 TB claim over a few bytes is refused
// as too large, not found truncated), and that a KML larger than it
// declares is not inflated past the claim.
func TestKMZDeclaredSize(t *testing.T) {
	small := []byte(`<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>a</name><Point><coordinates>0,51</coordinates></Point></Placemark></kml>`)
	err := parseKMZ(context.Background(), bytes.NewReader(rawKMZ(t, small, 1<<40)), "claim.kmz", &nopEmitter{}, defaultKMZLimits())
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "declares 1099511627776 bytes") {
		t.Errorf("a 1 TB claim: got %v", err)
	}
	// A bomb that declares a harmless 1 KB: 1 MiB of one text token is
	// cut off at the claim, as a damaged archive.
	bomb := []byte(`<kml><Document><name>` + strings.Repeat("lol ", 1<<18) + `</name></Document></kml>`)
	err = parseKMZ(context.Background(), bytes.NewReader(rawKMZ(t, bomb, 1024)), "liar.kmz", &nopEmitter{}, defaultKMZLimits())
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || !strings.Contains(err.Error(), "is damaged") {
		t.Errorf("a KML larger than it declares: got %v", err)
	}
	e := &nopEmitter{}
	if err := parseKMZ(context.Background(), bytes.NewReader(rawKMZ(t, small, uint64(len(small)))), "ok.kmz", e, defaultKMZLimits()); err != nil || e.n != 1 {
		t.Errorf("an honest KMZ: %v, %d features", err, e.n)
	}
}
