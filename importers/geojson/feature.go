package geojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/importers/internal/fields"
)

// decodeFeature turns the members of a GeoJSON Feature object into a
// coopmap feature. The error is the reason to report the record as a
// problem.
func decodeFeature(m map[string]json.RawMessage) (coopmap.Feature, error) {
	var typ string
	if raw, ok := m["type"]; !ok {
		return coopmap.Feature{}, errors.New("not a GeoJSON Feature: it has no type member")
	} else if err := json.Unmarshal(raw, &typ); err != nil || typ != "Feature" {
		return coopmap.Feature{}, fmt.Errorf("not a GeoJSON Feature: type is %s, want \"Feature\"", clip(string(raw)))
	}
	raw, ok := m["geometry"]
	if !ok || isNull(raw) {
		return coopmap.Feature{}, errors.New("the feature has no geometry (null or missing), so it has no place on the map")
	}
	n := 0
	g, err := decodeGeometry(raw, &n)
	if err != nil {
		return coopmap.Feature{}, fmt.Errorf("geometry: %w", err)
	}
	props, err := decodeProperties(m["properties"])
	if err != nil {
		return coopmap.Feature{}, err
	}
	f := coopmap.Feature{Geometry: g, Precision: coopmap.PrecisionExact, Properties: props}
	// GeoJSON from hand-made or web-map exports often uses these
	// shorter or variant names too.
	fields.MoveWellKnown(&f, fields.Keys{
		Description: []string{"desc"},
		Website:     []string{"web"},
		Email:       []string{"e-mail"},
	})
	if len(f.Properties) == 0 {
		f.Properties = nil
	}
	key, err := decodeID(m["id"])
	if err != nil {
		return coopmap.Feature{}, err
	}
	if key == "" {
		key = fields.ContentKey(f.Name, g)
	}
	f.ID = key
	return f, nil
}

// decodeID returns the feature's id as a key: a string as it is, a number
// as written. A missing, null or empty id gives "".
func decodeID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("id: %v", err)
		}
		return strings.TrimSpace(s), nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw), nil
	}
	return "", fmt.Errorf("id must be a string or a number, not %s", describeRaw(raw))
}

// decodeProperties decodes the properties member: an object or null.
func decodeProperties(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	if describeRaw(raw) != "an object" {
		return nil, fmt.Errorf("properties must be an object or null, not %s", describeRaw(raw))
	}
	var props map[string]any
	if err := json.Unmarshal(raw, &props); err != nil {
		// Valid JSON fails to decode only on a number too large for a
		// float64 (1e400).
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Value, "number ") {
			at := ""
			if te.Field != "" {
				at = "." + te.Field
			}
			return nil, fmt.Errorf("properties%s: %s is too large for a number", at, clip(strings.TrimPrefix(te.Value, "number ")))
		}
		return nil, fmt.Errorf("properties: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return props, nil
}

// decodeGeometry decodes a GeoJSON geometry object; n counts positions
// across a whole feature against geo.MaxVertices.
func decodeGeometry(raw json.RawMessage, n *int) (orb.Geometry, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("expected an object, found %s", describeRaw(raw))
	}
	var typ string
	if t, ok := m["type"]; !ok {
		return nil, errors.New("it has no type member")
	} else if err := json.Unmarshal(t, &typ); err != nil {
		return nil, fmt.Errorf("type must be a string, not %s", describeRaw(t))
	}
	if typ == "GeometryCollection" {
		raw, ok := m["geometries"]
		if !ok || isNull(raw) {
			return nil, errors.New("the GeometryCollection has no geometries member")
		}
		var members []json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return nil, fmt.Errorf("geometries must be an array, not %s", describeRaw(raw))
		}
		c := make(orb.Collection, 0, len(members))
		for i, mr := range members {
			if isNull(mr) {
				return nil, fmt.Errorf("geometries[%d] is null", i)
			}
			g, err := decodeGeometry(mr, n)
			if err != nil {
				return nil, fmt.Errorf("geometries[%d]: %w", i, err)
			}
			c = append(c, g)
		}
		return c, nil
	}
	if !geometryTypes[typ] {
		return nil, fmt.Errorf("unknown geometry type %q", clip(typ))
	}
	raw, ok := m["coordinates"]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("the %s has no coordinates", typ)
	}
	s := &coords{b: raw, n: n}
	var g orb.Geometry
	var err error
	switch typ {
	case "Point":
		g, err = s.position()
	case "MultiPoint":
		var l []orb.Point
		l, err = s.positions()
		g = orb.MultiPoint(l)
	case "LineString":
		var l []orb.Point
		l, err = s.positions()
		g = orb.LineString(l)
	case "MultiLineString":
		ml := orb.MultiLineString{}
		err = s.array(func() error {
			l, err := s.positions()
			ml = append(ml, l)
			return err
		})
		g = ml
	case "Polygon":
		var p orb.Polygon
		p, err = s.polygon()
		g = p
	case "MultiPolygon":
		mp := orb.MultiPolygon{}
		err = s.array(func() error {
			p, err := s.polygon()
			mp = append(mp, p)
			return err
		})
		g = mp
	}
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// coords reads GeoJSON coordinate arrays straight from the JSON text, so
// that a million positions cost 16 MB as orb.Points rather than a slice
// per position, and so that every error says which position is wrong.
// The text has already been checked to be valid JSON, but coords never
// assumes it and never reads out of bounds.
type coords struct {
	b    []byte
	i    int
	path []int
	n    *int
}

func (c *coords) errorf(format string, args ...any) error {
	var b strings.Builder
	b.WriteString("coordinates")
	for _, k := range c.path {
		fmt.Fprintf(&b, "[%d]", k)
	}
	b.WriteString(": ")
	fmt.Fprintf(&b, format, args...)
	return errors.New(b.String())
}

func (c *coords) skipSpace() {
	for c.i < len(c.b) && (c.b[c.i] == ' ' || c.b[c.i] == '\t' || c.b[c.i] == '\n' || c.b[c.i] == '\r') {
		c.i++
	}
}

func (c *coords) unexpected(want string) error {
	if c.i >= len(c.b) {
		return c.errorf("expected %s, found the end", want)
	}
	found := describeRaw(c.b[c.i:])
	if c.b[c.i] == ']' {
		found = "the end of the array"
	}
	return c.errorf("expected %s, found %s", want, found)
}

// array reads one JSON array, calling elem for each element.
func (c *coords) array(elem func() error) error {
	c.skipSpace()
	if c.i >= len(c.b) || c.b[c.i] != '[' {
		return c.unexpected("an array")
	}
	c.i++
	c.skipSpace()
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return nil
	}
	c.path = append(c.path, 0)
	for k := 0; ; k++ {
		c.path[len(c.path)-1] = k
		if err := elem(); err != nil {
			return err
		}
		c.skipSpace()
		if c.i >= len(c.b) {
			return c.unexpected("',' or ']'")
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			c.path = c.path[:len(c.path)-1]
			return nil
		default:
			return c.unexpected("',' or ']'")
		}
	}
}

func (c *coords) number() (float64, error) {
	c.skipSpace()
	j := c.i
	for j < len(c.b) && strings.IndexByte("+-.0123456789eE", c.b[j]) >= 0 {
		j++
	}
	if j == c.i {
		return 0, c.unexpected("a number")
	}
	s := string(c.b[c.i:j])
	c.i = j
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !(errors.Is(err, strconv.ErrRange) && !math.IsInf(v, 0)) {
		// Only overflow gets here from valid JSON: 1e400 would be ±Inf.
		return 0, c.errorf("%s is not a finite number", clip(s))
	}
	return v, nil
}

// position reads [lon, lat, ...]; numbers after the second are dropped.
func (c *coords) position() (orb.Point, error) {
	var p orb.Point
	k := 0
	err := c.array(func() error {
		v, err := c.number()
		if k < 2 {
			p[k] = v
		}
		k++
		return err
	})
	if err != nil {
		return p, err
	}
	if k < 2 {
		return p, c.errorf("a position needs at least 2 numbers (longitude, latitude), found %d", k)
	}
	*c.n++
	if *c.n > geo.MaxVertices {
		return p, c.errorf("more than %d positions in one feature", geo.MaxVertices)
	}
	return p, nil
}

func (c *coords) positions() ([]orb.Point, error) {
	l := []orb.Point{}
	err := c.array(func() error {
		p, err := c.position()
		l = append(l, p)
		return err
	})
	return l, err
}

func (c *coords) polygon() (orb.Polygon, error) {
	p := orb.Polygon{}
	err := c.array(func() error {
		r, err := c.positions()
		p = append(p, orb.Ring(r))
		return err
	})
	return p, err
}

// end checks that nothing follows the coordinates.
func (c *coords) end() error {
	c.skipSpace()
	if c.i != len(c.b) {
		return c.errorf("unexpected data after the coordinates")
	}
	return nil
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }
