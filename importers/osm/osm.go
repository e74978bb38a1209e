package osm

import (
	"bufio"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/internal/fields"
)

// DefaultMaxNodes is the number of node positions Parse keeps for way
// geometry when Options.MaxNodes is zero.
const DefaultMaxNodes = 20_000_000

// Object is a tagged OSM node or way, as offered to a Filter.
type Object struct {
	// Type is "node" or "way".
	Type string
	ID   int64
	Tags map[string]string
	// Closed reports whether a way's first and last nodes are the same;
	// it is false for nodes.
	Closed bool
}

// Options configure a Parser made by New. The zero value is Parse's.
type Options struct {
	// Filter reports whether an object becomes a feature; nil means
	// DefaultFilter. It must not keep or change o.Tags.
	Filter func(o Object) bool
	// MaxNodes bounds how many node positions are kept for way geometry;
	// 0 means DefaultMaxNodes.
	MaxNodes int
}

var _ importers.Parser = Parse

// Parse reads OSM XML, bzip2- or gzip-compressed OSM XML, or OSM PBF from
// r and hands each object DefaultFilter keeps to e; it is New(Options{}).
// See New for the error contract.
func Parse(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
	return New(Options{})(ctx, r, name, e)
}

// New returns a Parser with the given options. The parser reports
// objects it keeps but cannot store (a way with nodes missing from the
// file, a node whose position is not a number) with e.Problem and skips
// them.
//
// The parser's error is a coopmap error with CodeInvalid when the stream
// is not OSM XML or PBF, is malformed (including when it ends early),
// uses an unsupported encoding, compression or required PBF feature, or
// has a DOCTYPE declaring entities, and CodeTooLarge when it holds more
// than MaxNodes nodes or breaks MaxDepth, MaxTokenSize or the PBF block
// bounds; ctx.Err() when ctx ends; the error of e.Feature unchanged;
// otherwise the read error, wrapped.
func New(o Options) importers.Parser {
	if o.Filter == nil {
		o.Filter = DefaultFilter
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = DefaultMaxNodes
	}
	return func(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
		p := &parser{opts: o, name: name, e: e, nodes: Positions{Max: o.MaxNodes}}
		return Read(ctx, r, Handler{Node: p.node, Way: p.way, Problem: func(where, what string) {
			e.Problem(name+": "+where, what)
		}})
	}
}

// sniff undoes compression and tells PBF from XML by the first bytes.
func sniff(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for range 2 { // at most one layer of compression
		b, _ := br.Peek(16)
		switch {
		case len(b) >= 4 && string(b[:3]) == "BZh" && '1' <= b[3] && b[3] <= '9':
			br = bufio.NewReaderSize(decompressed{bzip2.NewReader(br), "bzip2"}, 64<<10)
			continue
		case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, "", coopmap.Errorf(coopmap.CodeInvalid, "broken gzip stream: %v", err)
			}
			br = bufio.NewReaderSize(decompressed{zr, "gzip"}, 64<<10)
			continue
		case len(b) >= 15 && b[4] == 0x0a && (string(b[5:15]) == "\x09OSMHeader" || string(b[5:13]) == "\x07OSMData"):
			return br, "pbf", nil
		}
		break
	}
	return br, "xml", nil
}

// decompressed reports a decompressor's errors as invalid input, which
// they are, rather than as failures to read.
type decompressed struct {
	r    io.Reader
	what string
}

func (d decompressed) Read(b []byte) (int, error) {
	n, err := d.r.Read(b)
	switch {
	case err == nil || err == io.EOF:
	case err == io.ErrUnexpectedEOF:
		err = coopmap.Errorf(coopmap.CodeInvalid, "truncated: the %s stream ends early", d.what)
	case coopmap.ErrorCode(err) == "":
		var se bzip2.StructuralError
		if errors.As(err, &se) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, new(flate.CorruptInputError)) {
			err = coopmap.Errorf(coopmap.CodeInvalid, "broken %s stream: %v", d.what, err)
		}
	}
	return n, err
}

// parser turns the objects Read decodes into features.
type parser struct {
	opts  Options
	name  string
	e     importers.Emitter
	nodes Positions
}

// node keeps a node's position and emits the node when the filter keeps
// it.
func (p *parser) node(n Node) error {
	id, lon, lat, bad, tags := n.ID, n.Lon, n.Lat, n.Bad, n.Tags
	if bad == "" {
		if err := p.nodes.Add(id, lon, lat); err != nil {
			return err
		}
	}
	if len(tags) == 0 || !p.opts.Filter(Object{Type: "node", ID: id, Tags: tags}) {
		return nil
	}
	key := "node/" + strconv.FormatInt(id, 10)
	if bad != "" {
		p.e.Problem(p.name+": "+key, bad)
		return nil
	}
	return p.e.Feature(feature(key, tags, orb.Point{lon, lat}), p.name+": "+key)
}

// way emits a way when the filter keeps it.
func (p *parser) way(w Way) error {
	id, tags, refs := w.ID, w.Tags, w.Refs
	if len(tags) == 0 {
		return nil
	}
	if w.Bad != "" {
		if p.opts.Filter(Object{Type: "way", ID: id, Tags: tags}) {
			p.e.Problem(fmt.Sprintf("%s: way/%d", p.name, id), w.Bad)
		}
		return nil
	}
	closed := len(refs) > 1 && refs[0] == refs[len(refs)-1]
	if !p.opts.Filter(Object{Type: "way", ID: id, Tags: tags, Closed: closed}) {
		return nil
	}
	key := "way/" + strconv.FormatInt(id, 10)
	where := p.name + ": " + key
	if len(refs) < 2 {
		p.e.Problem(where, fmt.Sprintf("the way has %d node(s); a line needs 2", len(refs)))
		return nil
	}
	area := closed && isArea(tags)
	if area && len(refs) < 4 {
		p.e.Problem(where, fmt.Sprintf("the way is closed but has only %d nodes; an area needs 4", len(refs)))
		return nil
	}
	pts := make([]orb.Point, len(refs))
	missing, first := 0, int64(0)
	for i, ref := range refs {
		pt, ok := p.nodes.Find(ref)
		if !ok {
			if missing == 0 {
				first = ref
			}
			missing++
		}
		pts[i] = pt
	}
	if missing > 0 {
		p.e.Problem(where, fmt.Sprintf("%d of its %d nodes (node/%d first) are not in the file, as happens at the edge of an extract", missing, len(refs), first))
		return nil
	}
	var g orb.Geometry = orb.LineString(pts)
	if area {
		g = orb.Polygon{orb.Ring(pts)}
	}
	return p.e.Feature(feature(key, tags, g), where)
}

// isArea reports whether a closed way is an area rather than a loop.
func isArea(tags map[string]string) bool {
	switch tags["area"] {
	case "yes":
		return true
	case "no":
		return false
	}
	for _, k := range []string{"highway", "barrier", "railway", "waterway"} {
		if _, ok := tags[k]; ok {
			return false
		}
	}
	return true
}

// DefaultFilter keeps named points of interest and named areas; see the
// package documentation.
func DefaultFilter(o Object) bool {
	t := o.Tags
	if strings.TrimSpace(t["name"]) == "" {
		return false
	}
	coop := t["operator:type"] == "cooperative" || t["ownership"] == "cooperative" || (t["cooperative"] != "" && t["cooperative"] != "no")
	poi := coop || has(t, "amenity", "shop", "craft", "office", "tourism", "leisure")
	switch o.Type {
	case "node":
		return poi
	case "way":
		if _, ok := t["highway"]; ok || !o.Closed {
			return false
		}
		return poi || has(t, "building", "landuse")
	}
	return false
}

// has reports whether tags has any of the keys with a value other than no.
func has(tags map[string]string, keys ...string) bool {
	for _, k := range keys {
		if v, ok := tags[k]; ok && v != "" && v != "no" {
			return true
		}
	}
	return false
}

// feature builds the feature for a kept object.
func feature(key string, tags map[string]string, g orb.Geometry) coopmap.Feature {
	f := coopmap.Feature{
		ID:          key,
		Name:        strings.TrimSpace(tags["name"]),
		Description: strings.TrimSpace(tags["description"]),
		Website:     first(tags, fields.IsHTTP, "website", "contact:website", "url"),
		Email:       first(tags, nil, "email", "contact:email"),
		Postcode:    first(tags, fields.IsPostcode, "addr:postcode"),
		Address:     address(tags),
		Geometry:    g,
		Precision:   coopmap.PrecisionExact,
		Properties:  make(map[string]any, len(tags)),
	}
	for k, v := range tags {
		f.Properties[k] = v
	}
	return f
}

// first returns the first of the keys' values that is set and accepted.
func first(tags map[string]string, accept func(string) bool, keys ...string) string {
	for _, k := range keys {
		// Several values are separated by semicolons in OSM.
		v, _, _ := strings.Cut(tags[k], ";")
		if v = strings.TrimSpace(v); v != "" && (accept == nil || accept(v)) {
			return v
		}
	}
	return ""
}

// address composes a one-line address from addr:* tags, UK style.
func address(tags map[string]string) string {
	if s := strings.TrimSpace(tags["addr:full"]); s != "" {
		return s
	}
	street := strings.TrimSpace(tags["addr:street"])
	if street == "" {
		street = strings.TrimSpace(tags["addr:place"])
	}
	if n := strings.TrimSpace(tags["addr:housenumber"]); n != "" {
		street = strings.TrimSpace(n + " " + street)
	}
	var parts []string
	for _, s := range []string{strings.TrimSpace(tags["addr:housename"]), street, strings.TrimSpace(tags["addr:city"])} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// clip shortens a value from the input for quoting in a message.
func clip(s string) string { return fields.Clip(s, 40) }
