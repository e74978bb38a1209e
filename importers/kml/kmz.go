package kml

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
)

// Limits on KMZ archives, so that a zip bomb cannot fill the disk or
// memory. Breaking one makes Parse fail with coopmap.CodeTooLarge.
const (
	// MaxKMZSize bounds the archive, which is copied to a temporary file
	// because zip needs random access.
	MaxKMZSize = 64 << 20
	// MaxKMZEntries bounds the number of files in the archive.
	MaxKMZEntries = 1000
	// MaxKMLSize bounds the uncompressed size of the KML read from the
	// archive. A KML that declares more in the archive's directory is
	// refused before a byte is inflated; archive/zip refuses to inflate
	// more than the declared size, and the bytes are counted as they are
	// read too.
	MaxKMLSize = 256 << 20
	// MaxKMZRatio bounds how many times larger than its compressed size
	// a KML of more than 8 MiB may declare itself. Real KML (names,
	// descriptions and coordinates that differ from placemark to
	// placemark) deflates 3 to 20 times; a zip bomb's text thousands of
	// times (deflate's ceiling is about 1,030). Such an archive is
	// refused before it is inflated, so it costs neither the time nor the
	// memory of decompressing it.
	MaxKMZRatio = 100
	// kmzRatioFloor is the declared size under which MaxKMZRatio is not
	// applied: a small, highly repetitive KML is harmless.
	kmzRatioFloor = 8 << 20
)

var errKMLSize = errors.New("KML in KMZ over the size limit")

// kmzLimits carries the KMZ limits, so tests can lower them.
type kmzLimits struct {
	size    int64
	entries int
	kml     int64
	// ratio and ratioFloor are MaxKMZRatio and kmzRatioFloor.
	ratio, ratioFloor uint64
}

// defaultKMZLimits are the limits Parse applies.
func defaultKMZLimits() kmzLimits {
	return kmzLimits{size: MaxKMZSize, entries: MaxKMZEntries, kml: MaxKMLSize, ratio: MaxKMZRatio, ratioFloor: kmzRatioFloor}
}

// parseKMZ buffers a KMZ to a temporary file and parses its KML.
func parseKMZ(ctx context.Context, r io.Reader, name string, e importers.Emitter, lim kmzLimits) error {
	tmp, err := os.CreateTemp("", "coopmap-kmz-*")
	if err != nil {
		return fmt.Errorf("buffering KMZ: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(r, lim.size+1))
	if err != nil {
		return fmt.Errorf("buffering KMZ: %w", err)
	}
	if n > lim.size {
		return coopmap.Errorf(coopmap.CodeTooLarge, "the KMZ is larger than the limit of %d bytes", lim.size)
	}
	if entries, err := zipEntries(tmp, n); err != nil {
		return err
	} else if entries > lim.entries {
		return coopmap.Errorf(coopmap.CodeTooLarge, "the KMZ holds %d files; the limit is %d", entries, lim.entries)
	}
	zr, err := zip.NewReader(tmp, n)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return coopmap.Errorf(coopmap.CodeInvalid, "not a KMZ: the zip archive is broken: %v", strings.TrimPrefix(err.Error(), "zip: "))
	}
	for _, f := range zr.File {
		if !safeEntry(f.Name) {
			return coopmap.Errorf(coopmap.CodeInvalid, "KMZ refused: entry %q has an unsafe path (absolute, a drive letter, a backslash or ..); a KMZ from Google Earth or My Maps never has one", clip(f.Name))
		}
	}
	var doc *zip.File
	for _, f := range zr.File {
		if f.Name == "doc.kml" {
			doc = f
			break
		}
		if doc == nil && strings.EqualFold(path.Ext(f.Name), ".kml") {
			doc = f
		}
	}
	if doc == nil {
		return coopmap.Errorf(coopmap.CodeInvalid, "not a KMZ: the zip archive holds no .kml file")
	}
	if err := checkDeclared(doc, lim); err != nil {
		return err
	}
	rc, err := doc.Open()
	if err != nil {
		return coopmap.Errorf(coopmap.CodeInvalid, "KMZ: cannot open %s: %v", clip(doc.Name), strings.TrimPrefix(err.Error(), "zip: "))
	}
	defer rc.Close()
	err = parseKML(ctx, &capReader{r: rc, left: lim.kml}, name, e)
	switch {
	case errors.Is(err, errKMLSize):
		return coopmap.Errorf(coopmap.CodeTooLarge, "%s in the KMZ is larger than the limit of %d bytes", clip(doc.Name), lim.kml)
	case errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, io.ErrUnexpectedEOF):
		return coopmap.Errorf(coopmap.CodeInvalid, "KMZ: %s is damaged: %v", clip(doc.Name), err)
	}
	return err
}

// checkDeclared refuses, before anything is inflated, a KML entry whose
// declared uncompressed size is over the limit or over lim.ratio times its
// compressed size (a zip bomb). The declared size binds: archive/zip
// stops with ErrFormat past it.
func checkDeclared(doc *zip.File, lim kmzLimits) error {
	size, packed := doc.UncompressedSize64, max(doc.CompressedSize64, 1)
	switch {
	case size > uint64(lim.kml):
		return coopmap.Errorf(coopmap.CodeTooLarge, "%s in the KMZ is larger than the limit of %d bytes: it declares %d bytes uncompressed", clip(doc.Name), lim.kml, size)
	case size > lim.ratioFloor && size/packed > lim.ratio:
		return coopmap.Errorf(coopmap.CodeTooLarge, "%s in the KMZ expands %d times (%d bytes to %d); more than %d times is refused as a zip bomb",
			clip(doc.Name), size/packed, doc.CompressedSize64, size, lim.ratio)
	}
	return nil
}

// safeEntry reports whether a zip entry name is a plain relative path: not
// absolute, without a drive letter, backslash or ".." element. Nothing is
// ever extracted to disk, but an archive with such names is hostile or
// broken, so it is refused rather than half read.
func safeEntry(name string) bool {
	if name == "" || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':') {
		return false
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return false
		}
	}
	return true
}

// zipEntries reads the entry count from the archive's end-of-central-
// directory record, before archive/zip allocates one header per entry. A
// zip64 archive reports 65535, which is over the limit anyway.
func zipEntries(r io.ReaderAt, size int64) (int, error) {
	const eocdLen, maxComment = 22, 1<<16 - 1
	n := min(size, eocdLen+maxComment)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return 0, fmt.Errorf("reading KMZ: %w", err)
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, coopmap.Errorf(coopmap.CodeInvalid, "not a KMZ: the zip archive is truncated or broken (no end of central directory)")
	}
	return int(binary.LittleEndian.Uint16(buf[i+10:])), nil
}

// capReader fails with errKMLSize after left bytes.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, errKMLSize
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	return n, err
}
