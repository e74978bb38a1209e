package web

import (
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

// TestUnmarshalBody checks the refusals unmarshalBody adds to
// unmarshalStrict: bytes that are not UTF-8, and a member name repeated
// in one object (named by its path), while equal names in different
// objects, escaped text and deep but legal nesting pass.
func TestUnmarshalBody(t *testing.T) {
	for _, c := range []struct {
		name, body string
		field      string // "" for accepted
		detail     string
	}{
		{"plain", `{"type":"Feature","properties":{"name":"Café","type":"x"}}`, "", ""},
		{"same name in sibling objects", `{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}`, "", ""},
		{"escaped non-ASCII and a lone surrogate escape", `{"name":"\u00e9\ud800"}`, "", ""},
		{"deep arrays", `{"a":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`, "", ""},
		{"invalid UTF-8 in a value", "{\"name\":\"x\xff\"}", "body", "byte 10"},
		{"invalid UTF-8 in a name", "{\"\xc3\x28\":1}", "body", "byte 2"},
		{"overlong UTF-8", "{\"a\":\"\xc0\xae\"}", "body", "not valid UTF-8"},
		{"UTF-8 surrogate bytes", "{\"a\":\"\xed\xa0\x80\"}", "body", "not valid UTF-8"},
		{"invalid UTF-8 outside strings", "{\"a\":1}\xff", "body", "not valid UTF-8"},
		{"repeated top-level member", `{"type":"Feature","type":"Feature"}`, "type", "more than once"},
		{"repeated nested member", `{"properties":{"name":"a","sector":"b","name":"c"}}`, "properties.name", ""},
		{"repeated after unescaping", `{"properties":{"a":1,"\u0061":2}}`, "properties.a", ""},
		{"repeated in an array element", `{"stops":[{"name":"a"},{"name":"b","name":"c"}]}`, "stops[1].name", ""},
		{"repeated after a nested value", `{"a":{"b":[1,{"c":2}]},"d":3,"a":4}`, "a", ""},
		{"repeated in a nested array", `[[1],[2,{"x":1,"x":2}]]`, "[1][1].x", ""},
		{"repeated empty name at the top", `{"":1,"":2}`, "body", ""},
		{"malformed stays a syntax error", `{"a":1,"a":}`, "body", "not valid JSON"},
		{"nesting past the decoder's limit", `{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, "body", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var dst any
			err := unmarshalBody([]byte(c.body), &dst)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != c.field {
				t.Fatalf("error %v (code %q, field %q); want invalid %q", err, coopmap.ErrorCode(err), coopmap.ErrorField(err), c.field)
			}
			if !strings.Contains(err.Error(), c.detail) {
				t.Fatalf("error %q does not say %q", err, c.detail)
			}
		})
	}
}

// TestUnmarshalBodyStruct checks that the checks run on the body as sent
// to a handler's struct: a repeated member is refused even when the
// struct keeps only one of them.
func TestUnmarshalBodyStruct(t *testing.T) {
	var body struct {
		Title string `json:"title"`
	}
	err := unmarshalBody([]byte(`{"title":"a","title":"b"}`), &body)
	if coopmap.ErrorField(err) != "title" {
		t.Fatalf("error %v; want one naming title", err)
	}
	// Numbers are not parsed by the walk, so one too large for a float64
	// is left to the handler's own type (a json.RawMessage geometry).
	if path, ok := repeatedMember([]byte(`{"n":1e999,"n":1}`)); !ok || path != "n" {
		t.Fatalf("repeatedMember = %q, %v; want n", path, ok)
	}
	err = unmarshalBody([]byte(`{"title":"a","colour":"b"}`), &body)
	if coopmap.ErrorField(err) != "colour" {
		t.Fatalf("error %v; want the unknown field named first", err)
	}
}
