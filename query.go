package coopmap

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/coopmap/coopmap/geo"
)

// Page size limits for Store.Features.
const (
	DefaultLimit = 100
	MaxLimit     = 10_000
	// MaxQueryText bounds the free-text part of a query, in bytes.
	MaxQueryText = 200
)

// Query selects features. Zero fields do not filter. Results come in a
// stable order (by id) and are paged with keyset cursors, so a page never
// repeats or skips a record because of writes between requests.
type Query struct {
	// BBox keeps features whose bounding box touches it.
	BBox *geo.BBox
	// Sources keeps features from any of these sources.
	Sources []string
	// Sector and OrgType keep features with exactly this value.
	Sector  string
	OrgType string
	// Text keeps features whose folded search text (see Feature.SearchText)
	// contains the folded query as a substring.
	Text string
	// Limit is the page size: 0 means DefaultLimit; at most MaxLimit.
	Limit int
	// After is the cursor from the previous Page.Next.
	After string
}

// Page is one page of query results.
type Page struct {
	Features []Feature
	// Next is the cursor for the following page, "" on the last page.
	Next string
	// Matched is the exact number of features the query matches, over
	// all pages.
	Matched int
}

// Normalize returns q with defaults filled in and the text folded, or an
// invalid error naming the field ("limit", "text", "after", "sources").
// Stores call it first, so both stores read a query the same way.
func (q Query) Normalize() (Query, string, error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0:
		return q, "", Invalidf("limit", "must be positive")
	case q.Limit > MaxLimit:
		return q, "", Invalidf("limit", "%d is over the maximum of %d", q.Limit, MaxLimit)
	}
	if len(q.Text) > MaxQueryText {
		return q, "", Invalidf("text", "is %d bytes long; the limit is %d", len(q.Text), MaxQueryText)
	}
	q.Text = Fold(q.Text)
	for i, s := range q.Sources {
		if !ValidSlug(s) {
			return q, "", Invalidf(fmt.Sprintf("sources[%d]", i), "%q is not a source id", clip(s))
		}
	}
	if q.BBox != nil {
		if _, err := geo.NewBBox(q.BBox.MinLon, q.BBox.MinLat, q.BBox.MaxLon, q.BBox.MaxLat); err != nil {
			return q, "", Invalidf("bbox", "%v", err)
		}
	}
	after := ""
	if q.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		if err != nil || !strings.HasPrefix(string(b), "k:") {
			return q, "", Invalidf("after", "is not a cursor this server issued")
		}
		after = string(b[2:])
	}
	return q, after, nil
}

// Cursor returns the opaque cursor that continues a query after the
// feature with this id.
func Cursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("k:" + lastID))
}

// EscapeLike escapes the LIKE wildcards % and _ and the escape character \
// in s, for a LIKE pattern with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
