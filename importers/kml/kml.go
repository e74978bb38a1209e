package kml

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/internal/fields"
	"github.com/coopmap/coopmap/importers/internal/xmlsafe"
)

var _ importers.Parser = Parse

// Parse reads KML or KMZ from r and hands each Placemark to e; see the
// package documentation for what becomes of each. Placemarks that cannot
// be stored, and unsupported elements such as NetworkLink, are reported
// with e.Problem and skipped.
//
// The error is a coopmap error with CodeInvalid when r is neither KML nor
// a KMZ holding a .kml file, is not well-formed XML or zip (including when
// it ends early), is in an unsupported encoding or has a DOCTYPE declaring
// entities, and CodeTooLarge when it breaks MaxDepth, MaxTokenSize,
// MaxKMZSize, MaxKMZEntries, MaxKMLSize or MaxKMZRatio; ctx.Err() when
// ctx ends; the error of e.Feature unchanged; otherwise the read or
// temporary-file error, wrapped.
func Parse(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	br := bufio.NewReader(r)
	if b, err := br.Peek(4); err == nil && string(b) == "PK\x03\x04" {
		return parseKMZ(ctx, br, name, e, defaultKMZLimits())
	}
	return parseKML(ctx, br, name, e)
}

func parseKML(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
	x := xmlsafe.NewDecoder(r)
	root, err := x.Root()
	if err != nil {
		return err
	}
	if root.Name.Local != "kml" {
		return coopmap.Errorf(coopmap.CodeInvalid, "not KML: the root element is <%s>, want <kml>", clip(root.Name.Local))
	}
	p := &parser{ctx: ctx, x: x, name: name, e: e}
	return p.container("", "kml", nil)
}

type parser struct {
	ctx  context.Context
	x    *xmlsafe.Decoder
	name string
	e    importers.Emitter

	// State of the placemark being read.
	n       int    // positions so far
	bad     string // the first reason it cannot be stored
	empties int    // empty geometries met
	times   timeRange
}

// fail records why the current placemark cannot be stored; the first
// reason wins.
func (p *parser) fail(format string, args ...any) {
	if p.bad == "" {
		p.bad = fmt.Sprintf(format, args...)
	}
}

// isKML reports whether an element is KML's own (any KML version, the gx
// extensions, or no namespace) rather than a foreign one such as atom.
func isKML(n xml.Name) bool {
	return n.Space == "" || strings.Contains(n.Space, "opengis.net/kml") || strings.Contains(n.Space, "google.com/kml")
}

// container reads the children of kml, Document or Folder (kind), whose
// start was just read, up to its end. path is where it is; folders are
// the labels of the Folders around it.
func (p *parser) container(path, kind string, folders []string) error {
	counts := map[string]int{}
	label := "" // a Folder's label: its name, or its path segment until the name is read
	if kind == "Folder" {
		label = path[strings.LastIndexByte(path, '/')+1:]
	}
	inner := func() []string {
		if kind != "Folder" {
			return folders
		}
		return append(slices.Clip(folders), label)
	}
	for {
		t, err := p.x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			local := t.Name.Local
			if !isKML(t.Name) {
				if err := p.x.Skip(); err != nil {
					return err
				}
				continue
			}
			counts[local]++
			seg := fmt.Sprintf("%s[%d]", local, counts[local])
			if local == "Document" && counts[local] == 1 {
				seg = local
			}
			at := seg
			if path != "" {
				at = path + "/" + seg
			}
			switch local {
			case "Document", "Folder":
				err = p.container(at, local, inner())
			case "name":
				var s string
				s, err = p.x.Text()
				if kind == "Folder" && s != "" {
					label = s
				}
			case "Placemark":
				err = p.placemark(t, at, inner())
			case "NetworkLink", "GroundOverlay", "PhotoOverlay", "ScreenOverlay":
				err = p.unsupported(local, at)
			default:
				err = p.x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

// unsupported reports an element that is never imported, with its name.
func (p *parser) unsupported(local, at string) error {
	title := ""
	for {
		t, err := p.x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			why := map[string]string{
				"NetworkLink":   "a NetworkLink is not supported: the file it links to is never fetched; download it and import it instead",
				"GroundOverlay": "a GroundOverlay (an image laid on the map) is not supported; its image is never fetched",
				"PhotoOverlay":  "a PhotoOverlay is not supported; its image is never fetched",
				"ScreenOverlay": "a ScreenOverlay is not supported; its image is never fetched",
			}[local]
			p.e.Problem(p.where(at, title), why)
			return nil
		case xml.StartElement:
			if t.Name.Local == "name" {
				title, err = p.x.Text()
			} else {
				err = p.x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

func (p *parser) where(at, title string) string {
	if title == "" {
		return p.name + ": " + at
	}
	return fmt.Sprintf("%s: %s %q", p.name, at, clip(title))
}

// placemark reads a Placemark whose start was just read and emits it.
func (p *parser) placemark(se xml.StartElement, at string, folders []string) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	p.x.StartRecord()
	p.n, p.bad, p.empties, p.times = 0, "", 0, timeRange{}
	f := coopmap.Feature{Precision: coopmap.PrecisionExact}
	props := map[string]any{}
	structural := map[string]string{}
	var geoms []orb.Geometry
	sawGeometry := false
	for done := false; !done; {
		t, err := p.x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			done = true
		case xml.StartElement:
			if !isKML(t.Name) {
				err = p.x.Skip()
				break
			}
			switch local := t.Name.Local; local {
			case "name":
				f.Name, err = p.x.Text()
			case "description":
				f.Description, err = p.markup()
			case "address":
				f.Address, err = p.x.Text()
			case "phoneNumber":
				structural["phone"], err = p.x.Text()
			case "Snippet":
				structural["snippet"], err = p.x.Text()
			case "TimeStamp":
				var when string
				err = p.children(map[string]*string{"when": &when})
				structural["time"] = when
			case "TimeSpan":
				var begin, end string
				err = p.children(map[string]*string{"begin": &begin, "end": &end})
				structural["time_begin"], structural["time_end"] = begin, end
			case "ExtendedData":
				err = p.extendedData(props)
			case "Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track", "MultiTrack":
				sawGeometry = true
				var g orb.Geometry
				if g, err = p.geometry(t); g != nil {
					geoms = append(geoms, g)
				}
			case "Model":
				p.fail("a 3D Model is not supported")
				err = p.x.Skip()
			default:
				err = p.x.Skip()
			}
		}
		if err != nil {
			return err
		}
	}

	where := p.where(at, f.Name)
	g := combine(geoms)
	switch {
	case p.bad != "":
		p.e.Problem(where, p.bad)
		return nil
	case !sawGeometry:
		p.e.Problem(where, "the placemark has no geometry, so it has no place on the map")
		return nil
	case g == nil:
		p.e.Problem(where, "the placemark's geometry has no coordinates")
		return nil
	}
	f.Geometry = g
	if p.times.first != "" && structural["time_begin"] == "" && structural["time_end"] == "" {
		structural["time_begin"], structural["time_end"] = p.times.first, p.times.last
	}
	f.Properties = props
	fields.MoveWellKnown(&f, fields.Keys{})
	if len(folders) > 0 {
		structural["folder"] = strings.Join(folders, " / ")
	}
	for k, v := range structural {
		if v != "" {
			props[k] = v
		}
	}
	if len(props) == 0 {
		f.Properties = nil
	}
	if id, _ := xmlsafe.Attr(se, "id"); strings.TrimSpace(id) != "" {
		f.ID = strings.TrimSpace(id)
	} else {
		f.ID = fields.ContentKey(f.Name, g)
	}
	return p.e.Feature(f, where)
}

// children reads the element whose start was just read, putting the text
// of the named children where want points and skipping the others.
func (p *parser) children(want map[string]*string) error {
	for {
		t, err := p.x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if dst, ok := want[t.Name.Local]; ok {
				*dst, err = p.x.Text()
			} else {
				err = p.x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

// markup returns the content of the element whose start was just read as
// text: character data as it is and child elements (HTML written without
// CDATA) as tags, so a description keeps its markup as text either way.
func (p *parser) markup() (string, error) {
	var b strings.Builder
	for d := 1; ; {
		t, err := p.x.Next()
		if err != nil {
			return "", err
		}
		n := 0
		switch t := t.(type) {
		case xml.StartElement:
			d++
			n, _ = b.WriteString("<" + t.Name.Local)
			for _, a := range t.Attr {
				k, _ := fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
				n += k
			}
			b.WriteByte('>')
		case xml.EndElement:
			d--
			if d == 0 {
				return strings.TrimSpace(b.String()), nil
			}
			n, _ = b.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			n, _ = b.Write(t)
		}
		if err := p.x.Keep(n); err != nil {
			return "", err
		}
	}
}

// extendedData reads Data/value and SchemaData/SimpleData into props.
func (p *parser) extendedData(props map[string]any) error {
	for {
		t, err := p.x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch t.Name.Local {
			case "Data":
				key, _ := xmlsafe.Attr(t, "name")
				value := ""
				err = p.children(map[string]*string{"value": &value})
				if key = strings.TrimSpace(key); key != "" && err == nil {
					props[key] = value
				}
			case "SchemaData":
				err = p.schemaData(props)
			default:
				err = p.x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

func (p *parser) schemaData(props map[string]any) error {
	for {
		t, err := p.x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local == "SimpleData" {
				key, _ := xmlsafe.Attr(t, "name")
				var value string
				if value, err = p.x.Text(); strings.TrimSpace(key) != "" {
					props[strings.TrimSpace(key)] = value
				}
			} else {
				err = p.x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

// geometry reads a geometry element whose start was just read. It returns
// nil for an empty geometry, and records in p.bad why the placemark
// cannot be stored.
func (p *parser) geometry(se xml.StartElement) (orb.Geometry, error) {
	switch se.Name.Local {
	case "Point", "LineString", "LinearRing":
		pts, err := p.coordinatesOf()
		if err != nil || len(pts) == 0 {
			p.empties++
			return nil, err
		}
		switch se.Name.Local {
		case "Point":
			if len(pts) > 1 {
				p.fail("a Point has %d positions", len(pts))
			}
			return pts[0], nil
		case "LineString":
			return orb.LineString(pts), nil
		}
		return orb.Polygon{closeRing(pts)}, nil
	case "Polygon":
		return p.polygon()
	case "Track":
		return p.track()
	}
	// MultiGeometry, MultiTrack: any geometry inside.
	var gs []orb.Geometry
	for {
		t, err := p.x.Next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return combine(gs), nil
		case xml.StartElement:
			switch t.Name.Local {
			case "Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track", "MultiTrack":
				var g orb.Geometry
				if g, err = p.geometry(t); g != nil {
					gs = append(gs, g)
				}
			case "Model":
				p.fail("a 3D Model is not supported")
				err = p.x.Skip()
			default:
				err = p.x.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// coordinatesOf reads the element whose start was just read, returning the
// positions in its coordinates child.
func (p *parser) coordinatesOf() ([]orb.Point, error) {
	var pts []orb.Point
	for {
		t, err := p.x.Next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return pts, nil
		case xml.StartElement:
			if t.Name.Local == "coordinates" {
				var s string
				if s, err = p.x.Text(); err == nil {
					pts = append(pts, p.parseCoordinates(s)...)
				}
			} else {
				err = p.x.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

func (p *parser) polygon() (orb.Geometry, error) {
	var outer orb.Ring
	var inner []orb.Ring
	for {
		t, err := p.x.Next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			if outer == nil {
				if len(inner) > 0 {
					p.fail("a Polygon has innerBoundaryIs but no outerBoundaryIs")
				}
				p.empties++
				return nil, nil
			}
			return append(orb.Polygon{outer}, inner...), nil
		case xml.StartElement:
			switch t.Name.Local {
			case "outerBoundaryIs", "innerBoundaryIs":
				var rings []orb.Ring
				rings, err = p.rings()
				if t.Name.Local == "innerBoundaryIs" {
					inner = append(inner, rings...)
				} else if len(rings) > 0 {
					if outer != nil || len(rings) > 1 {
						p.fail("a Polygon has more than one outer boundary")
					}
					outer = rings[0]
				}
			default:
				err = p.x.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// rings reads the LinearRings in a boundary element.
func (p *parser) rings() ([]orb.Ring, error) {
	var rs []orb.Ring
	for {
		t, err := p.x.Next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return rs, nil
		case xml.StartElement:
			if t.Name.Local == "LinearRing" {
				var pts []orb.Point
				if pts, err = p.coordinatesOf(); len(pts) > 0 {
					rs = append(rs, closeRing(pts))
				}
			} else {
				err = p.x.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// track reads a gx:Track: its gx:coord positions and when times.
func (p *parser) track() (orb.Geometry, error) {
	var pts []orb.Point
	for {
		t, err := p.x.Next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			switch len(pts) {
			case 0:
				p.empties++
				return nil, nil
			case 1:
				return pts[0], nil
			}
			return orb.LineString(pts), nil
		case xml.StartElement:
			var s string
			switch t.Name.Local {
			case "coord":
				if s, err = p.x.Text(); err == nil {
					if pt, ok := p.parseCoord(s, len(pts)); ok {
						pts = append(pts, pt)
					}
				}
			case "when":
				if s, err = p.x.Text(); err == nil {
					p.times.add(s)
				}
			default:
				err = p.x.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

// parseCoordinates parses a KML coordinates string: "lon,lat[,alt]"
// tuples separated by whitespace. Whitespace next to a comma belongs to
// the tuple, as many writers put a space after commas.
func (p *parser) parseCoordinates(s string) []orb.Point {
	var pts []orb.Point
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return pts
		}
		tuple := i
		var v [2]float64
		k := 0
		for {
			start := i
			for i < len(s) && !isSpace(s[i]) && s[i] != ',' {
				i++
			}
			if num := s[start:i]; num != "" {
				f, err := strconv.ParseFloat(num, 64)
				if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
					p.fail("coordinates: position %d: %q is not a number", len(pts)+1, clip(num))
					return pts
				}
				if k < 2 {
					v[k] = f
				}
				k++
			}
			j := i
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) && s[j] == ',' {
				for i = j + 1; i < len(s) && isSpace(s[i]); i++ {
				}
				continue
			}
			break
		}
		if k < 2 {
			p.fail("coordinates: position %d %q needs a longitude and a latitude", len(pts)+1, clip(s[tuple:i]))
			return pts
		}
		if p.n++; p.n > geo.MaxVertices {
			p.fail("more than %d positions in one placemark", geo.MaxVertices)
			return pts
		}
		pts = append(pts, orb.Point{v[0], v[1]})
	}
}

// parseCoord parses a gx:coord, "lon lat alt" separated by spaces; i is
// its index in the track, for messages.
func (p *parser) parseCoord(s string, i int) (orb.Point, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		p.fail("gx:coord %d %q needs a longitude and a latitude", i+1, clip(s))
		return orb.Point{}, false
	}
	var pt orb.Point
	for k := range 2 {
		v, err := strconv.ParseFloat(f[k], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			p.fail("gx:coord %d: %q is not a number", i+1, clip(f[k]))
			return orb.Point{}, false
		}
		pt[k] = v
	}
	if p.n++; p.n > geo.MaxVertices {
		p.fail("more than %d positions in one placemark", geo.MaxVertices)
		return orb.Point{}, false
	}
	return pt, true
}

// closeRing closes a ring the file left open.
func closeRing(pts []orb.Point) orb.Ring {
	if len(pts) > 0 && pts[0] != pts[len(pts)-1] {
		pts = append(pts, pts[0])
	}
	return orb.Ring(pts)
}

// combine turns the geometries found in a MultiGeometry (or side by side
// in a placemark) into one: nil for none, the geometry itself for one, a
// Multi* when all are of one kind, a flat Collection otherwise.
func combine(gs []orb.Geometry) orb.Geometry {
	var flat []orb.Geometry
	for _, g := range gs {
		if c, ok := g.(orb.Collection); ok {
			flat = append(flat, c...)
		} else if g != nil {
			flat = append(flat, g)
		}
	}
	switch len(flat) {
	case 0:
		return nil
	case 1:
		return flat[0]
	}
	var (
		mp   orb.MultiPoint
		ml   orb.MultiLineString
		mpol orb.MultiPolygon
		// how many members are points, lines and polygons
		points, lines, polygons int
	)
	for _, g := range flat {
		switch g := g.(type) {
		case orb.Point:
			mp = append(mp, g)
			points++
		case orb.MultiPoint:
			mp = append(mp, g...)
			points++
		case orb.LineString:
			ml = append(ml, g)
			lines++
		case orb.MultiLineString:
			ml = append(ml, g...)
			lines++
		case orb.Polygon:
			mpol = append(mpol, g)
			polygons++
		case orb.MultiPolygon:
			mpol = append(mpol, g...)
			polygons++
		}
	}
	switch len(flat) {
	case points:
		return mp
	case lines:
		return ml
	case polygons:
		return mpol
	}
	return orb.Collection(flat)
}

// timeRange keeps the first and last of a run of times.
type timeRange struct{ first, last string }

func (r *timeRange) add(t string) {
	if t == "" {
		return
	}
	if r.first == "" {
		r.first = t
	}
	r.last = t
}

// clip shortens a value from the input for quoting in a message.
func clip(s string) string { return fields.Clip(s, 60) }
