package export

import (
	"bufio"
	"context"
	"io"
	"iter"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// WriteKML writes a KML 2.2 document. The Document's name is the source's
// title, its description Notice's provenance (licence, attribution,
// owner, origin, retrieval date) as plain text, and atom:author and an
// atom:link rel="license" say the same for machines. Each feature is a
// Placemark whose id attribute is the record's key, with name, address
// and description elements, the other non-empty fields and the properties
// as ExtendedData (JSON text for properties that are not strings), and
// its geometry: Point, LineString, Polygon, or a MultiGeometry for the
// multi types and collections. Text is escaped, never CDATA, and
// characters XML cannot carry become U+FFFD. See WriteFunc for the error
// contract.
func WriteKML(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error {
	src.Licence = src.Licence.Complete()
	bw := bufio.NewWriterSize(w, 64<<10)
	b := []byte(xmlDecl + `<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">` + "\n<Document>")
	title := src.Title
	if title == "" {
		title = src.ID
	}
	b = appendElem(b, "name", title)
	if src.Owner != "" {
		b = append(b, "<atom:author>"...)
		b = appendElem(b, "atom:name", src.Owner)
		b = append(b, "</atom:author>"...)
	}
	if src.Licence.URL != "" {
		b = append(b, `<atom:link rel="license" href="`...)
		b = appendXML(b, src.Licence.URL, true)
		b = append(b, `"/>`...)
	}
	b = appendElem(b, "description", Notice(src))
	b = append(b, '\n')
	bw.Write(b)
	err := each(ctx, features, func(f coopmap.Feature) error {
		b = appendPlacemark(b[:0], f)
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("</Document>\n</kml>\n")
	return bw.Flush()
}

// xmlDecl starts every XML file.
const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// kmlOwnElements are the fields KML has elements for; the rest go into
// ExtendedData.
var kmlOwnElements = map[string]bool{"name": true, "address": true, "description": true}

// appendPlacemark appends one Placemark, with its children in the order
// the KML 2.2 schema gives.
func appendPlacemark(b []byte, f coopmap.Feature) []byte {
	b = append(b, `<Placemark id="`...)
	b = appendXML(b, key(f), true)
	b = append(b, `">`...)
	b = appendElem(b, "name", f.Name)
	b = appendElem(b, "address", f.Address)
	b = appendElem(b, "description", f.Description)
	data := false
	for _, a := range attrs(f) {
		if kmlOwnElements[a.key] {
			continue
		}
		if !data {
			b = append(b, "<ExtendedData>"...)
			data = true
		}
		b = append(b, `<Data name="`...)
		b = appendXML(b, a.key, true)
		b = append(b, `">`...)
		b = appendElem(b, "value", text(a.value))
		b = append(b, "</Data>"...)
	}
	if data {
		b = append(b, "</ExtendedData>"...)
	}
	b = appendKMLGeometry(b, f.Geometry)
	return append(b, "</Placemark>\n"...)
}

// appendKMLGeometry appends g as a KML geometry element.
func appendKMLGeometry(b []byte, g orb.Geometry) []byte {
	switch g := g.(type) {
	case orb.Point:
		b = append(b, "<Point><coordinates>"...)
		b = appendKMLCoords(b, []orb.Point{g})
		return append(b, "</coordinates></Point>"...)
	case orb.LineString:
		b = append(b, "<LineString><coordinates>"...)
		b = appendKMLCoords(b, g)
		return append(b, "</coordinates></LineString>"...)
	case orb.Ring:
		return appendKMLGeometry(b, orb.Polygon{g})
	case orb.Bound:
		return appendKMLGeometry(b, g.ToPolygon())
	case orb.Polygon:
		if len(g) == 0 {
			return b
		}
		b = append(b, "<Polygon>"...)
		for i, r := range g {
			if i == 0 {
				b = append(b, "<outerBoundaryIs><LinearRing><coordinates>"...)
			} else {
				b = append(b, "<innerBoundaryIs><LinearRing><coordinates>"...)
			}
			b = appendKMLCoords(b, r)
			if i == 0 {
				b = append(b, "</coordinates></LinearRing></outerBoundaryIs>"...)
			} else {
				b = append(b, "</coordinates></LinearRing></innerBoundaryIs>"...)
			}
		}
		return append(b, "</Polygon>"...)
	case orb.MultiPoint:
		return appendKMLMulti(b, len(g), func(b []byte, i int) []byte { return appendKMLGeometry(b, g[i]) })
	case orb.MultiLineString:
		return appendKMLMulti(b, len(g), func(b []byte, i int) []byte { return appendKMLGeometry(b, g[i]) })
	case orb.MultiPolygon:
		return appendKMLMulti(b, len(g), func(b []byte, i int) []byte { return appendKMLGeometry(b, g[i]) })
	case orb.Collection:
		return appendKMLMulti(b, len(g), func(b []byte, i int) []byte { return appendKMLGeometry(b, g[i]) })
	}
	return b
}

func appendKMLMulti(b []byte, n int, member func([]byte, int) []byte) []byte {
	b = append(b, "<MultiGeometry>"...)
	for i := range n {
		b = member(b, i)
	}
	return append(b, "</MultiGeometry>"...)
}

// appendKMLCoords appends "lon,lat" tuples separated by spaces.
func appendKMLCoords(b []byte, ps []orb.Point) []byte {
	for i, p := range ps {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendNum(b, p[0])
		b = append(b, ',')
		b = appendNum(b, p[1])
	}
	return b
}
