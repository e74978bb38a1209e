package export

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// WriteGPX writes a GPX 1.1 document that validates against the GPX 1.1
// schema. metadata carries the provenance: name (the source's title), desc
// (Notice's text), author (the owner), copyright (author: the owner, or
// the attribution when there is no owner; year: the year retrieved;
// license: the licence URL) and links to the licence and, when it is a
// URL, the origin.
//
// Points become waypoints (wpt, one per member of a MultiPoint); lines
// become tracks (trk, one trkseg per line of a MultiLineString); polygons
// become tracks too, one trkseg per ring, as GPX has no areas. Each
// waypoint and track has the feature's name, its address and postcode as
// cmt, its description as desc, its website as link and its sector (or
// organisation type) as type.
//
// GPX puts every waypoint before every track, so tracks are held in a
// temporary file (in os.TempDir) until the last feature has been read,
// and copied after the waypoints; the file is removed before WriteGPX
// returns. See WriteFunc for the error contract.
func WriteGPX(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(appendGPXHeader(nil, src))
	var (
		spill *os.File
		sw    *bufio.Writer
		b, t  []byte
	)
	defer func() {
		if spill != nil {
			spill.Close()
			os.Remove(spill.Name())
		}
	}()
	err := each(ctx, features, func(f coopmap.Feature) error {
		b, t = b[:0], t[:0]
		flatten(f.Geometry, func(p orb.Point) {
			b = append(b, `<wpt lat="`...)
			b = appendNum(b, p[1])
			b = append(b, `" lon="`...)
			b = appendNum(b, p[0])
			b = append(b, `">`...)
			b = appendGPXDescription(b, f)
			b = append(b, "</wpt>\n"...)
		}, func(ps []orb.Point) {
			if len(ps) == 0 {
				return
			}
			if len(t) == 0 {
				t = append(t, "<trk>"...)
				t = appendGPXDescription(t, f)
			}
			t = append(t, "<trkseg>"...)
			for _, p := range ps {
				t = append(t, `<trkpt lat="`...)
				t = appendNum(t, p[1])
				t = append(t, `" lon="`...)
				t = appendNum(t, p[0])
				t = append(t, `"/>`...)
			}
			t = append(t, "</trkseg>"...)
		})
		if _, err := bw.Write(b); err != nil {
			return err
		}
		if len(t) == 0 {
			return nil
		}
		t = append(t, "</trk>\n"...)
		if spill == nil {
			var err error
			if spill, err = os.CreateTemp("", "coopmap-gpx-*.tracks"); err != nil {
				return fmt.Errorf("export: gpx: %w", err)
			}
			sw = bufio.NewWriterSize(spill, 64<<10)
		}
		if _, err := sw.Write(t); err != nil {
			return fmt.Errorf("export: gpx: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if spill != nil {
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("export: gpx: %w", err)
		}
		if _, err := spill.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("export: gpx: %w", err)
		}
		if _, err := io.Copy(bw, spill); err != nil {
			return err
		}
	}
	bw.WriteString("</gpx>\n")
	return bw.Flush()
}

// appendGPXHeader appends the XML declaration, the gpx start tag and the
// metadata.
func appendGPXHeader(b []byte, src coopmap.Source) []byte {
	title := src.Title
	if title == "" {
		title = src.ID
	}
	return appendGPXStart(b, src, title, Notice(src))
}

// appendGPXStart appends the XML declaration, the gpx start tag and the
// metadata, named name and described by desc, with src's provenance.
func appendGPXStart(b []byte, src coopmap.Source, name, desc string) []byte {
	src.Licence = src.Licence.Complete()
	b = append(b, xmlDecl...)
	b = append(b, `<gpx version="1.1" creator="coopmap" xmlns="http://www.topografix.com/GPX/1/1" `+
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" `+
		`xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">`+"\n<metadata>"...)
	b = appendElem(b, "name", name)
	b = appendElem(b, "desc", desc)
	if src.Owner != "" {
		b = append(b, "<author>"...)
		b = appendElem(b, "name", src.Owner)
		b = append(b, "</author>"...)
	}
	holder := src.Owner
	if holder == "" {
		holder = src.Attribution
	}
	b = append(b, `<copyright author="`...)
	b = appendXML(b, holder, true)
	b = append(b, `">`...)
	year := src.RetrievedAt
	if year.IsZero() {
		year = src.UpdatedAt
	}
	if !year.IsZero() {
		b = appendElem(b, "year", fmt.Sprintf("%04d", year.UTC().Year()))
	}
	licenceURL := httpURL(src.Licence.URL)
	b = appendElem(b, "license", licenceURL)
	b = append(b, "</copyright>"...)
	if licenceURL != "" {
		name := src.Licence.Name
		if name == "" {
			name = src.Licence.ID
		}
		b = appendGPXLink(b, licenceURL, "Licence: "+name)
	}
	if origin := httpURL(src.Origin); origin != "" {
		b = appendGPXLink(b, origin, "Origin")
	}
	if !src.UpdatedAt.IsZero() {
		b = appendElem(b, "time", src.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return append(b, "</metadata>\n"...)
}

// appendGPXDescription appends the elements that describe a waypoint or
// track, in the order the schema gives: name, cmt, desc, link, type.
func appendGPXDescription(b []byte, f coopmap.Feature) []byte {
	b = appendElem(b, "name", f.Name)
	cmt := f.Address
	if f.Postcode != "" && !strings.Contains(cmt, f.Postcode) {
		cmt = strings.TrimPrefix(cmt+", "+f.Postcode, ", ")
	}
	b = appendElem(b, "cmt", cmt)
	b = appendElem(b, "desc", f.Description)
	if u := httpURL(f.Website); u != "" {
		b = appendGPXLink(b, u, "")
	}
	typ := f.Sector
	if typ == "" {
		typ = f.OrgType
	}
	return appendElem(b, "type", typ)
}

func appendGPXLink(b []byte, href, text string) []byte {
	b = append(b, `<link href="`...)
	b = appendXML(b, href, true)
	b = append(b, `">`...)
	b = appendElem(b, "text", text)
	return append(b, "</link>"...)
}

// httpURL returns s as an absolute http or https URL in the form xsd:anyURI
// accepts (spaces and other unsafe characters escaped), or "" when s is
// not one.
func httpURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	// url.URL.String leaves the query as it was given.
	var b strings.Builder
	for _, c := range []byte(u.String()) {
		if c > ' ' && c < 0x7f && !strings.ContainsRune(`"<>\^`+"`{|}", rune(c)) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
