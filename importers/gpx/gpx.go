package gpx

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
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

// Parse reads a GPX file from r and hands each waypoint, route and track to
// e; see the package documentation for what becomes of each. Records that
// cannot be stored are reported with e.Problem and skipped.
//
// The error is a coopmap error with CodeInvalid when r is not GPX, is not
// well-formed XML (including when it ends early), is in an unsupported
// encoding or has a DOCTYPE declaring entities, and CodeTooLarge when it
// breaks MaxDepth or MaxTokenSize; ctx.Err() when ctx ends; the error of
// e.Feature unchanged; otherwise the read error, wrapped.
func Parse(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	x := xmlsafe.NewDecoder(r)
	root, err := x.Root()
	if err != nil {
		return err
	}
	if root.Name.Local != "gpx" {
		return coopmap.Errorf(coopmap.CodeInvalid, "not GPX: the root element is <%s>, want <gpx>", clip(root.Name.Local))
	}
	p := &parser{x: x}
	counts := map[string]int{}
	for {
		t, err := x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil // </gpx>: anything after it is not read
		case xml.StartElement:
			local := t.Name.Local
			if !isGPX(t.Name) || (local != "wpt" && local != "rte" && local != "trk") {
				if err := x.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			counts[local]++
			where := fmt.Sprintf("%s: /gpx/%s[%d]", name, local, counts[local])
			x.StartRecord()
			var f coopmap.Feature
			var problem string
			switch local {
			case "wpt":
				f, problem, err = p.waypoint(t)
			case "rte":
				f, problem, err = p.line(t, "rtept", "route")
			case "trk":
				f, problem, err = p.track(t)
			}
			if err != nil {
				return err
			}
			if problem != "" {
				e.Problem(where, problem)
				continue
			}
			if err := e.Feature(f, where); err != nil {
				return err
			}
		}
	}
}

type parser struct {
	x *xmlsafe.Decoder
}

// isGPX reports whether an element is GPX's own (in a GPX namespace, or in
// none, as some writers leave it out) rather than an extension's.
func isGPX(n xml.Name) bool {
	return n.Space == "" || strings.Contains(n.Space, "topografix.com/GPX")
}

// point is one wpt, rtept or trkpt.
type point struct {
	at orb.Point
	// bad says why the position is unusable; "" when it is fine.
	bad  string
	time string
	meta
}

// meta is the descriptive content of a waypoint, route or track.
type meta struct {
	name, desc, cmt, src, sym, typ, number, ele string
	links                                       []string
}

// read reads one of the descriptive child elements into m, reporting
// whether local was one.
func (p *parser) read(m *meta, se xml.StartElement) (bool, error) {
	var dst *string
	switch se.Name.Local {
	case "name":
		dst = &m.name
	case "desc":
		dst = &m.desc
	case "cmt":
		dst = &m.cmt
	case "src":
		dst = &m.src
	case "sym":
		dst = &m.sym
	case "type":
		dst = &m.typ
	case "number":
		dst = &m.number
	case "ele":
		dst = &m.ele
	case "link": // GPX 1.1: the URL is an attribute; text and type are children
		if href, ok := xmlsafe.Attr(se, "href"); ok && strings.TrimSpace(href) != "" {
			if err := p.x.Keep(len(href)); err != nil {
				return true, err
			}
			m.links = append(m.links, strings.TrimSpace(href))
		}
		return true, p.x.Skip()
	case "url": // GPX 1.0
		s, err := p.x.Text()
		if s != "" {
			m.links = append(m.links, s)
		}
		return true, err
	default:
		return false, nil
	}
	s, err := p.x.Text()
	*dst = s
	return true, err
}

// point reads a wpt, rtept or trkpt whose start was just read; with full
// unset only its position and time are kept.
func (p *parser) point(se xml.StartElement, full bool) (point, error) {
	var pt point
	pt.at, pt.bad = position(se)
	for {
		t, err := p.x.Next()
		if err != nil {
			return pt, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return pt, nil
		case xml.StartElement:
			if !isGPX(t.Name) {
				err = p.x.Skip()
			} else if t.Name.Local == "time" {
				pt.time, err = p.x.Text()
			} else if full {
				var ok bool
				if ok, err = p.read(&pt.meta, t); !ok {
					err = p.x.Skip()
				}
			} else {
				err = p.x.Skip()
			}
			if err != nil {
				return pt, err
			}
		}
	}
}

// position reads the lat and lon attributes.
func position(se xml.StartElement) (orb.Point, string) {
	var at orb.Point
	for i, name := range []string{"lon", "lat"} {
		s, ok := xmlsafe.Attr(se, name)
		if !ok {
			return at, name + " is missing"
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return at, fmt.Sprintf("%s %q is not a number", name, clip(s))
		}
		at[i] = v
	}
	return at, ""
}

func (p *parser) waypoint(se xml.StartElement) (coopmap.Feature, string, error) {
	pt, err := p.point(se, true)
	if err != nil || pt.bad != "" {
		return coopmap.Feature{}, pt.bad, err
	}
	f := feature(pt.meta, pt.at)
	if pt.time != "" {
		f.Properties["time"] = pt.time
	}
	if v, err := strconv.ParseFloat(pt.ele, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		f.Properties["ele"] = v
	}
	return tidy(f), "", nil
}

// line reads a route (or any element holding a run of points named
// child) whose start was just read.
func (p *parser) line(se xml.StartElement, child, what string) (coopmap.Feature, string, error) {
	var m meta
	var pts []orb.Point
	var times timeRange
	problem := ""
	for {
		t, err := p.x.Next()
		if err != nil {
			return coopmap.Feature{}, "", err
		}
		switch t := t.(type) {
		case xml.EndElement:
			if problem != "" {
				return coopmap.Feature{}, problem, nil
			}
			switch len(pts) {
			case 0:
				return coopmap.Feature{}, fmt.Sprintf("the %s has no points", what), nil
			case 1:
				return coopmap.Feature{}, fmt.Sprintf("the %s has only 1 point; a line needs at least 2", what), nil
			}
			f := feature(m, orb.LineString(pts))
			times.set(f.Properties)
			return tidy(f), "", nil
		case xml.StartElement:
			if !isGPX(t.Name) {
				err = p.x.Skip()
			} else if t.Name.Local == child {
				var pt point
				pt, err = p.point(t, false)
				switch {
				case err != nil:
				case problem != "":
				case pt.bad != "":
					problem = fmt.Sprintf("%s[%d]: %s", child, len(pts)+1, pt.bad)
				case len(pts) >= geo.MaxVertices:
					problem = fmt.Sprintf("the %s has more than %d points", what, geo.MaxVertices)
				default:
					pts = append(pts, pt.at)
					times.add(pt.time)
				}
			} else {
				var ok bool
				if ok, err = p.read(&m, t); !ok {
					err = p.x.Skip()
				}
			}
			if err != nil {
				return coopmap.Feature{}, "", err
			}
		}
	}
}

func (p *parser) track(se xml.StartElement) (coopmap.Feature, string, error) {
	var m meta
	var lines orb.MultiLineString
	var times timeRange
	n, segs := 0, 0
	problem := ""
	for {
		t, err := p.x.Next()
		if err != nil {
			return coopmap.Feature{}, "", err
		}
		switch t := t.(type) {
		case xml.EndElement:
			switch {
			case problem != "":
				return coopmap.Feature{}, problem, nil
			case n == 0:
				return coopmap.Feature{}, "the track has no points", nil
			case n == 1:
				return coopmap.Feature{}, "the track has only 1 point; a line needs at least 2", nil
			case len(lines) == 0:
				return coopmap.Feature{}, fmt.Sprintf("the track's %d points are each in a segment of their own; a line needs at least 2", n), nil
			}
			var g orb.Geometry = lines
			if len(lines) == 1 {
				g = lines[0]
			}
			f := feature(m, g)
			times.set(f.Properties)
			return tidy(f), "", nil
		case xml.StartElement:
			if !isGPX(t.Name) {
				err = p.x.Skip()
			} else if t.Name.Local == "trkseg" {
				segs++
				var seg []orb.Point
				seg, err = p.segment(segs, &n, &times, &problem)
				if len(seg) >= 2 {
					lines = append(lines, seg)
				}
			} else {
				var ok bool
				if ok, err = p.read(&m, t); !ok {
					err = p.x.Skip()
				}
			}
			if err != nil {
				return coopmap.Feature{}, "", err
			}
		}
	}
}

// segment reads the trkseg numbered seg whose start was just read. n
// counts the track's points; problem is set to the track's first problem.
func (p *parser) segment(seg int, n *int, times *timeRange, problem *string) ([]orb.Point, error) {
	var pts []orb.Point
	k := 0
	for {
		t, err := p.x.Next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return pts, nil
		case xml.StartElement:
			if !isGPX(t.Name) || t.Name.Local != "trkpt" {
				if err := p.x.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			k++
			pt, err := p.point(t, false)
			switch {
			case err != nil:
				return nil, err
			case *problem != "":
			case pt.bad != "":
				*problem = fmt.Sprintf("trkseg[%d]/trkpt[%d]: %s", seg, k, pt.bad)
			case *n >= geo.MaxVertices:
				*problem = fmt.Sprintf("the track has more than %d points", geo.MaxVertices)
			default:
				*n++
				pts = append(pts, pt.at)
				times.add(pt.time)
			}
		}
	}
}

// timeRange keeps the first and last times of a run of points.
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

func (r *timeRange) set(props map[string]any) {
	if r.first != "" {
		props["start_time"] = r.first
		props["end_time"] = r.last
	}
}

// feature builds the feature common to all three kinds of record.
func feature(m meta, g orb.Geometry) coopmap.Feature {
	f := coopmap.Feature{
		ID:          fields.ContentKey(m.name, g),
		Name:        m.name,
		Description: m.desc,
		Geometry:    g,
		Precision:   coopmap.PrecisionExact,
		Properties:  map[string]any{},
	}
	for _, kv := range []struct{ k, v string }{{"cmt", m.cmt}, {"src", m.src}, {"sym", m.sym}, {"type", m.typ}} {
		if kv.v != "" {
			f.Properties[kv.k] = kv.v
		}
	}
	if v, err := strconv.ParseFloat(m.number, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		f.Properties["number"] = v
	}
	if len(m.links) > 0 {
		f.Properties["link"] = m.links[0]
	}
	if len(m.links) > 1 {
		links := make([]any, len(m.links))
		for i, l := range m.links {
			links[i] = l
		}
		f.Properties["links"] = links
	}
	return f
}

// tidy drops empty properties.
func tidy(f coopmap.Feature) coopmap.Feature {
	if len(f.Properties) == 0 {
		f.Properties = nil
	}
	return f
}

// clip shortens a value from the input for quoting in a message.
func clip(s string) string { return fields.Clip(s, 40) }
