package export

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// csvColumns are the CSV header: the key, the fields, a point's longitude
// and latitude, the geometry as WKT, and the other properties as one JSON
// object.
var csvColumns = append(append([]string{"id"}, fieldNames...), "lon", "lat", "wkt", "properties")

// utf8BOM starts every CSV file so that spreadsheet programs read it as
// UTF-8 instead of a legacy code page; CSV readers that follow RFC 4180
// with UTF-8, GDAL and coopmap's importer skip it.
const utf8BOM = "\ufeff"

// WriteCSV writes RFC 4180 CSV in UTF-8: a byte-order mark, a header
// row, CRLF line ends, and fields quoted when they hold a quote, comma,
// CR or LF or start or end with a space; inside quotes every character
// is kept as it is, quotes doubled. The columns are id (the record's
// key), name, sector, org_type, address, postcode, website, email,
// description, founded, status, precision, updated_at, lon and lat (a
// point's coordinates, empty for other geometries), wkt (every
// geometry) and properties (the other properties as one JSON object,
// empty when there are none). CSV has nowhere to put a licence, so this
// is the bare table: downloads use WriteCSVZip, which adds LICENSE.txt.
// See WriteFunc for the error contract.
func WriteCSV(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(utf8BOM)
	var buf []byte
	buf = appendCSVRecord(buf, csvColumns)
	bw.Write(buf)
	rec := make([]string, len(csvColumns))
	err := each(ctx, features, func(f coopmap.Feature) error {
		rec = rec[:0]
		rec = append(rec, key(f))
		for _, v := range fields(f) {
			rec = append(rec, v)
		}
		lon, lat := "", ""
		if p, ok := f.Geometry.(orb.Point); ok {
			lon, lat = string(appendNum(nil, p[0])), string(appendNum(nil, p[1]))
		}
		props := ""
		if len(f.Properties) > 0 {
			b, err := json.Marshal(f.Properties)
			if err != nil {
				return fmt.Errorf("export: csv: feature %q: properties: %w", f.ID, err)
			}
			props = string(b)
		}
		rec = append(rec, lon, lat, string(appendWKT(nil, f.Geometry)), props)
		buf = appendCSVRecord(buf[:0], rec)
		_, err := bw.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// appendCSVRecord appends one RFC 4180 record ending in CRLF.
func appendCSVRecord(b []byte, rec []string) []byte {
	for i, s := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		if !csvNeedsQuotes(s) {
			b = append(b, s...)
			continue
		}
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
		b = append(b, '"')
	}
	return append(b, '\r', '\n')
}

// csvNeedsQuotes reports whether a field must be quoted: RFC 4180's
// quote, comma, CR and LF, and leading or trailing spaces, which some
// readers would trim.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	return strings.ContainsAny(s, "\",\r\n") || s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t'
}

// WriteCSVZip writes a zip archive holding LICENSE.txt (Notice's
// provenance, and how to credit the data) and <source id>.csv (WriteCSV's
// table), so the licence travels with the table. The archive is written
// as it goes (zip data descriptors, Zip64 when needed), so memory stays
// flat. See WriteFunc for the error contract.
func WriteCSVZip(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error {
	modified := src.UpdatedAt
	if modified.IsZero() {
		modified = time.Now()
	}
	zw := zip.NewWriter(w)
	lic, err := zw.CreateHeader(&zip.FileHeader{Name: "LICENSE.txt", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return fmt.Errorf("export: csv zip: %w", err)
	}
	if _, err := io.WriteString(lic, licenceText(src)); err != nil {
		return fmt.Errorf("export: csv zip: %w", err)
	}
	table, err := zw.CreateHeader(&zip.FileHeader{Name: src.ID + ".csv", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return fmt.Errorf("export: csv zip: %w", err)
	}
	if err := WriteCSV(ctx, table, src, features); err != nil {
		return err
	}
	return zw.Close()
}

// licenceText is LICENSE.txt in a CSV download, with CRLF line ends for
// the spreadsheet users who open it.
func licenceText(src coopmap.Source) string {
	var b strings.Builder
	b.WriteString(Notice(src))
	b.WriteString("\n")
	fmt.Fprintf(&b, "%s.csv is published under the licence above. When you use or share it,\n", src.ID)
	fmt.Fprintf(&b, "credit it with the attribution above and link to the licence.\n\n")
	fmt.Fprintf(&b, "Columns of %s.csv: %s.\n", src.ID, strings.Join(csvColumns, ", "))
	b.WriteString("lon/lat are WGS84 (EPSG:4326) longitude and latitude of points; wkt holds every geometry.\n")
	unix := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(b.String())
	return strings.ReplaceAll(unix, "\n", "\r\n")
}
