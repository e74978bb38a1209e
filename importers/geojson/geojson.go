package geojson

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/internal/fields"
)

// Limits on one record, so that a hostile or broken file cannot exhaust
// memory or stack.
const (
	// MaxFeatureSize bounds the JSON text of one feature (or of one member
	// of the top-level object), in bytes.
	MaxFeatureSize = 16 << 20
	// MaxDepth bounds how deeply arrays and objects nest inside one
	// feature. A MultiPolygon feature needs 6; the rest is for properties.
	MaxDepth = 64
)

var _ importers.Parser = Parse

// errLimit is what limitReader returns once a record is over
// MaxFeatureSize; readErr turns it into a coopmap too-large error.
var errLimit = errors.New("geojson: record over the size limit")

// Parse reads GeoJSON from r and hands each feature to e; see the package
// documentation for what becomes of each record. A feature that cannot be
// stored (no geometry, a bad coordinate, a properties member that is not
// an object) is reported with e.Problem and skipped.
//
// The error is a coopmap error with CodeInvalid when r is not GeoJSON or
// is not well-formed JSON (including when it ends early), and CodeTooLarge
// when a feature is over MaxFeatureSize or MaxDepth; ctx.Err() when ctx
// ends; the error of e.Feature unchanged; otherwise the read error,
// wrapped.
func Parse(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
	lr := &limitReader{r: r, max: MaxFeatureSize}
	br := bufio.NewReader(lr)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3) // a UTF-8 byte order mark, as some Windows tools write
	}
	p := &parser{ctx: ctx, name: name, e: e, lr: lr, dec: json.NewDecoder(br), at: "the top-level object"}
	return p.parse()
}

type parser struct {
	ctx  context.Context
	name string
	e    importers.Emitter
	lr   *limitReader
	dec  *json.Decoder
	// at names the record being read, for limit errors.
	at string
}

// geometryTypes are the RFC 7946 geometry types.
var geometryTypes = map[string]bool{
	"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true,
}

// parse reads the top-level object member by member. "features" is
// streamed as soon as it is met, whatever comes before or after it; the
// few members a lone Feature or geometry needs are buffered, each within
// MaxFeatureSize.
func (p *parser) parse() error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	tok, err := p.dec.Token()
	if err == io.EOF {
		return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: the input is empty")
	}
	if err != nil {
		return p.readErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: expected a JSON object, found %s", describe(tok))
	}
	members := map[string]json.RawMessage{}
	typ := ""
	sawFeatures := false
	for p.dec.More() {
		p.lr.reset()
		p.at = "the top-level object"
		tok, err := p.dec.Token()
		if err != nil {
			return p.readErr(err)
		}
		key, _ := tok.(string)
		if key == "features" && !sawFeatures && (typ == "" || typ == "FeatureCollection") {
			sawFeatures = true
			if err := p.features(); err != nil {
				return err
			}
			continue
		}
		p.at = fmt.Sprintf("the top-level member %q", clip(key))
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return p.readErr(err)
		}
		switch key {
		case "type":
			if err := json.Unmarshal(raw, &typ); err != nil {
				return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: the type member is not a string")
			}
			if sawFeatures && typ != "FeatureCollection" {
				return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: a %q object has a features member", clip(typ))
			}
		case "geometry", "properties", "id", "coordinates", "geometries":
			if typ == "FeatureCollection" {
				continue // foreign members of a collection mean nothing here
			}
			if depth(raw) > MaxDepth {
				return coopmap.Errorf(coopmap.CodeTooLarge, "%s nests deeper than %d levels", p.at, MaxDepth)
			}
			members[key] = raw
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return p.readErr(err)
	}
	if _, err := p.dec.Token(); err != io.EOF {
		if err == nil {
			return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: more data after the top-level object at byte %d", p.dec.InputOffset())
		}
		return p.readErr(err)
	}
	switch {
	case typ == "FeatureCollection":
		return nil
	case typ == "Feature":
		members["type"] = json.RawMessage(`"Feature"`)
		return p.emit(members, p.name+": feature")
	case geometryTypes[typ]:
		g := map[string]json.RawMessage{"type": json.RawMessage(fmt.Sprintf("%q", typ))}
		for _, k := range []string{"coordinates", "geometries"} {
			if v, ok := members[k]; ok {
				g[k] = v
			}
		}
		b, _ := json.Marshal(g)
		return p.emit(map[string]json.RawMessage{"type": json.RawMessage(`"Feature"`), "geometry": b}, p.name+": geometry")
	case typ == "":
		return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: the top-level object has no type member")
	default:
		return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: unknown type %q", clip(typ))
	}
}

// features streams the features array, one Decode per feature.
func (p *parser) features() error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.readErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return coopmap.Errorf(coopmap.CodeInvalid, "not GeoJSON: features must be an array, found %s", describe(tok))
	}
	for i := 0; p.dec.More(); i++ {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		p.lr.reset()
		p.at = fmt.Sprintf("features[%d]", i)
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return p.readErr(err)
		}
		if depth(raw) > MaxDepth {
			return coopmap.Errorf(coopmap.CodeTooLarge, "%s nests deeper than %d levels", p.at, MaxDepth)
		}
		where := fmt.Sprintf("%s: features[%d]", p.name, i)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			p.e.Problem(where, fmt.Sprintf("not a GeoJSON Feature: expected an object, found %s", describeRaw(raw)))
			continue
		}
		if err := p.emit(m, where); err != nil {
			return err
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing bracket
		return p.readErr(err)
	}
	return nil
}

// emit decodes one feature's members and hands the result to the emitter.
// Only the emitter's error is returned.
func (p *parser) emit(m map[string]json.RawMessage, where string) error {
	f, err := decodeFeature(m)
	if err != nil {
		p.e.Problem(where, err.Error())
		return nil
	}
	return p.e.Feature(f, where)
}

// readErr classifies an error from the JSON decoder.
func (p *parser) readErr(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errLimit):
		return coopmap.Errorf(coopmap.CodeTooLarge, "%s is larger than the limit of %d bytes", p.at, MaxFeatureSize)
	case errors.As(err, &se):
		return coopmap.Errorf(coopmap.CodeInvalid, "not valid JSON at byte %d: %s", se.Offset, se.Error())
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return coopmap.Errorf(coopmap.CodeInvalid, "truncated: the JSON ends inside %s", p.at)
	default:
		return fmt.Errorf("reading GeoJSON: %w", err)
	}
}

// limitReader fails a read once more than max bytes have been read since
// the last reset. The decoder reads ahead by at most one buffer, so this
// bounds the bytes it holds for one record to about max.
type limitReader struct {
	r      io.Reader
	n, max int64
}

func (l *limitReader) reset() { l.n = 0 }

func (l *limitReader) Read(b []byte) (int, error) {
	if l.n >= l.max {
		return 0, errLimit
	}
	if rest := l.max - l.n; int64(len(b)) > rest {
		b = b[:rest]
	}
	n, err := l.r.Read(b)
	l.n += int64(n)
	return n, err
}

// depth returns how deeply arrays and objects nest in valid JSON text.
func depth(b []byte) int {
	d, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			d++
			deepest = max(deepest, d)
		case ']', '}':
			d--
		}
	}
	return deepest
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			return "an array"
		case '{':
			return "an object"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// describeRaw names the kind of a JSON value for an error message.
func describeRaw(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return "an object"
		case '[':
			return "an array"
		case '"':
			return "a string"
		case 't', 'f':
			return "a boolean"
		case 'n':
			return "null"
		}
		return "a number"
	}
	return "nothing"
}

// clip shortens a value from the input for quoting in a message.
func clip(s string) string { return fields.Clip(s, 40) }
