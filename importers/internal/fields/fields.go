// Package fields holds what the format parsers share in turning a
// record into a coopmap.Feature: moving well-known properties into the
// feature's fields, the checks those fields must pass, the content key of
// a record without an id, and clipping input for messages.
package fields

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/coopmap/coopmap"
)

// Keys lists, for each feature field, property names that fill it, in
// order of preference. MoveWellKnown tries them after the names every
// format reads.
type Keys struct {
	Name, Description, Website, Email, Address, Postcode []string
}

// MoveWellKnown moves well-known string properties into f's empty fields:
// for each field, the first property, by the names every format reads and
// then by those in extra, whose value is a non-blank string that fits.
// Names match exactly or, failing that, ignoring case (see LookupKey). A
// value that does not fit (a number as a name, a website that is not an
// http or https URL) stays in Properties, where it does no harm, rather
// than making Feature.Validate refuse the whole record.
func MoveWellKnown(f *coopmap.Feature, extra Keys) {
	for _, w := range [...]struct {
		dst         *string
		keys, extra []string
		accept      func(string) bool
	}{
		{&f.Name, []string{"name", "title"}, extra.Name, nil},
		{&f.Description, []string{"description"}, extra.Description, nil},
		{&f.Website, []string{"website", "url", "contact:website"}, extra.Website, IsHTTP},
		{&f.Email, []string{"email", "contact:email"}, extra.Email, nil},
		{&f.Address, []string{"address"}, extra.Address, nil},
		{&f.Postcode, []string{"postcode", "postal_code", "addr:postcode"}, extra.Postcode, IsPostcode},
	} {
		if *w.dst == "" && !move(f.Properties, w.dst, w.keys, w.accept) {
			move(f.Properties, w.dst, w.extra, w.accept)
		}
	}
}

// move sets *dst from the first of keys in props that fits, deleting it
// from props, and reports whether one did.
func move(props map[string]any, dst *string, keys []string, accept func(string) bool) bool {
	for _, k := range keys {
		key, ok := LookupKey(props, k)
		if !ok {
			continue
		}
		s, isString := props[key].(string)
		s = strings.TrimSpace(s)
		if !isString || s == "" || (accept != nil && !accept(s)) {
			continue
		}
		*dst = s
		delete(props, key)
		return true
	}
	return false
}

// LookupKey finds want among the keys of props: exactly if it is there,
// otherwise the first key, in sorted order, equal to it ignoring case. It
// reports false when there is none.
func LookupKey(props map[string]any, want string) (string, bool) {
	if _, ok := props[want]; ok {
		return want, true
	}
	var found []string
	for k := range props {
		if strings.EqualFold(k, want) {
			found = append(found, k)
		}
	}
	if len(found) == 0 {
		return "", false
	}
	sort.Strings(found)
	return found[0], true
}

// IsHTTP reports whether s is an http or https URL, as
// coopmap.Feature.Validate requires of a website.
func IsHTTP(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// IsPostcode reports whether s has the shape coopmap.Feature.Validate
// requires of a postcode: 2 to 10 ASCII letters, digits and spaces.
func IsPostcode(s string) bool {
	if len(s) < 2 || len(s) > 10 {
		return false
	}
	for _, r := range s {
		if !(r == ' ' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// ContentKey derives a key for a record without an id: "h" and 16 hex
// digits of a SHA-256 of its name and its geometry as WKB. It is stable
// across re-imports of the same record and changes when it moves. A
// geometry WKB cannot encode adds nothing to the hash.
func ContentKey(name string, g orb.Geometry) string {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	if b, err := wkb.Marshal(g); err == nil {
		h.Write(b)
	}
	return "h" + hex.EncodeToString(h.Sum(nil)[:8])
}

// Clip shortens a value from the input to at most n bytes, cut at a
// UTF-8 character boundary and marked with "…", for quoting in a message.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
