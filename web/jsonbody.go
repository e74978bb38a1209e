package web

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coopmap/coopmap"
)

// unmarshalBody decodes a whole JSON request body into dst as
// unmarshalStrict does, but first refuses a body that is not UTF-8
// (encoding/json would store U+FFFD in place of the bad bytes) and then
// one with an object that repeats a member name (encoding/json would keep
// the last). Both are CodeInvalid: "body", with the offset of the first
// bad byte, and the path of the repeated member ("type",
// "properties.name", "stops[1].name").
func unmarshalBody(b []byte, dst any) error {
	if i := invalidUTF8(b); i >= 0 {
		return coopmap.Invalidf("body", "is not valid UTF-8 (byte %d); send JSON text as UTF-8", i)
	}
	if err := unmarshalStrict(b, dst, ""); err != nil {
		return err
	}
	if path, ok := repeatedMember(b); ok {
		return coopmap.Invalidf(path, "is given more than once in its object; give each member once")
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte of b that is not part
// of valid UTF-8, or -1 when b is valid.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// jsonLevel is one open object or array on the way to a token.
type jsonLevel struct {
	names   map[string]struct{} // the members seen so far; nil for an array
	name    string              // the current member's name
	wantKey bool                // the next string is a member name
	index   int                 // the current element of an array
}

// repeatedMember reports the path of the first member name repeated
// within one object of b, compared after unescaping as JSON defines
// ("a" and "\u0061" are the same name). b must already have decoded
// without error, so it is well-formed and nests at most encoding/json's
// limit of 10,000 levels; the walk keeps one level per open object or
// array and the names of the objects on the path, bounded by the body
// limit.
func repeatedMember(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers stay text: 1e999 is not an error here
	var stack []jsonLevel
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // io.EOF: the value is complete
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, jsonLevel{names: map[string]struct{}{}, wantKey: true})
				continue
			case '[':
				stack = append(stack, jsonLevel{})
				continue
			}
			stack = stack[:len(stack)-1] // '}' or ']' ends a value of the level below
		case string:
			if n := len(stack); n > 0 && stack[n-1].names != nil && stack[n-1].wantKey {
				l := &stack[n-1]
				l.name, l.wantKey = t, false
				if _, seen := l.names[t]; seen {
					return jsonPath(stack), true
				}
				l.names[t] = struct{}{}
				continue
			}
		}
		if n := len(stack); n > 0 { // a value ended inside an object or array
			if l := &stack[n-1]; l.names != nil {
				l.wantKey = true
			} else {
				l.index++
			}
		}
	}
}

// jsonPath writes the levels as a field path: member names joined by
// dots, array elements as [i].
func jsonPath(stack []jsonLevel) string {
	var sb strings.Builder
	for _, l := range stack {
		if l.names == nil {
			sb.WriteString("[" + strconv.Itoa(l.index) + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(l.name)
	}
	if sb.Len() == 0 {
		return "body" // the name "" at the top
	}
	return clipParam(sb.String())
}
