package coopmap

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// String length limits, in bytes of UTF-8, enforced by Validate.
const (
	// MaxShort bounds names, titles, addresses, URLs and other one-line fields.
	MaxShort = 1000
	// MaxText bounds descriptions, notes and attributions.
	MaxText = 20_000
	// MaxProperties bounds the JSON encoding of a feature's free-form
	// properties.
	MaxProperties = 64 << 10
)

type field struct {
	name string
	v    string
	max  int
}

func checkStrings(fs ...field) error {
	for _, f := range fs {
		if len(f.v) > f.max {
			return Invalidf(f.name, "is %d bytes long; the limit is %d", len(f.v), f.max)
		}
		if !utf8.ValidString(f.v) {
			return Invalidf(f.name, "is not valid UTF-8")
		}
		if strings.IndexByte(f.v, 0) >= 0 {
			return Invalidf(f.name, "contains a NUL character")
		}
	}
	return nil
}

// clip shortens a value for quoting in an error message.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	i := 40
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// Fold returns s normalised for search: lower case, accents removed,
// punctuation as spaces, runs of space collapsed. Both stores store folded
// search text and fold the query the same way, so matching is tolerant of
// case and accents whatever the database's collation.
func Fold(s string) string {
	out := s
	if !isASCII(s) {
		// Only text with accents needs the (slower) decomposition.
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		if o, _, err := transform.String(t, s); err == nil {
			out = o
		}
	}
	var b strings.Builder
	b.Grow(len(out))
	space := true
	for _, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// FeatureID derives a feature's id from its source and the record's own key
// (a registered number, an OSM id, a GeoJSON id), never from row order, so
// the id survives re-imports. Plain keys are kept readable
// ("coops-uk.R006884"); other keys are hashed.
func FeatureID(sourceID, key string) string {
	if keyRE.MatchString(key) {
		return sourceID + "." + key
	}
	h := sha256.Sum256([]byte(key))
	return sourceID + "." + hex.EncodeToString(h[:10])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
