package coopmap

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coopmap/coopmap/geo"
)

// Page size limits for Store.Features.
const (
	DefaultLimit = 100
	MaxLimit     = 10_000
	// MaxQueryText bounds the free-text part of a query, in bytes.
	MaxQueryText = 200
)

// SortField names a property that query results can be ordered by.
type SortField string

// The sort fields. Every order ends with the id, so it is total and keyset
// cursors are exact.
const (
	// SortID orders by feature id (the default).
	SortID SortField = "id"
	// SortName orders by name, compared as bytes of UTF-8.
	SortName SortField = "name"
	// SortUpdated orders by the time the store last changed the feature.
	SortUpdated SortField = "updated"
)

// Sort is the order of query results: by Field, then by id, both
// descending when Desc is set. The zero Sort is by id, ascending.
type Sort struct {
	Field SortField
	Desc  bool
}

// TimeRange is an inclusive range of times; a zero end is open.
type TimeRange struct {
	From, To time.Time
}

// IsZero reports whether the range is open at both ends.
func (r TimeRange) IsZero() bool { return r.From.IsZero() && r.To.IsZero() }

// Query selects features. Zero fields do not filter. Results come in a
// stable order (Sort, by id by default) and are paged with keyset cursors,
// so a page never repeats or skips a record because of writes between
// requests.
type Query struct {
	// BBox keeps features whose bounding box touches it.
	BBox *geo.BBox
	// Sources keeps features from any of these sources.
	Sources []string
	// Sector, OrgType and Status keep features with exactly this value.
	Sector  string
	OrgType string
	Status  string
	// Updated keeps features whose update time (Feature.UpdatedAt, in
	// milliseconds) lies in the range, ends included.
	Updated TimeRange
	// Text keeps features whose folded search text (see Feature.SearchText)
	// contains the folded query as a substring.
	Text string
	// Sort orders the results; the zero value is by id.
	Sort Sort
	// Limit is the page size: 0 means DefaultLimit; at most MaxLimit.
	Limit int
	// After is the cursor from a previous Page.Next: the page that follows.
	After string
	// Before is the cursor from a previous Page.Prev: the page that
	// precedes. At most one of After and Before may be set.
	Before string
}

// Page is one page of query results.
type Page struct {
	Features []Feature
	// Next is the cursor (for Query.After) of the following page, "" on
	// the last page.
	Next string
	// Prev is the cursor (for Query.Before) of the preceding page, "" on
	// the first page.
	Prev string
	// Matched is the exact number of features the query matches, over
	// all pages.
	Matched int
}

// Position is a decoded cursor: the sort key of the feature a page
// continues from, which the page excludes. The zero Position is the start.
type Position struct {
	ID string
	// Name and Updated hold the feature's sort value when the query sorts
	// by SortName or SortUpdated.
	Name    string
	Updated time.Time
	// Before is set for a cursor from Query.Before: the page lies before
	// the position.
	Before bool
}

// IsZero reports whether p is the start: no cursor.
func (p Position) IsZero() bool { return p.ID == "" }

// Extent is where and when a source's features lie.
type Extent struct {
	// BBox bounds every feature; nil when the source has none.
	BBox *geo.BBox
	// Updated spans the features' update times; zero when there are none.
	Updated TimeRange
}

// ExtentReader is the optional capability of reporting a source's extent
// from an index or an aggregate, without reading its features. Both
// stores implement it (the contract suite checks); a caller that finds a
// store without it shows no extent.
type ExtentReader interface {
	// SourceExtent returns the extent of a source's features. A missing
	// source is CodeNotFound; a source without features has a nil BBox.
	SourceExtent(ctx context.Context, sourceID string) (Extent, error)
}

// Normalize returns q with defaults filled in and the text folded, and its
// cursor decoded, or an invalid error naming the field ("limit", "text",
// "sources[0]", "bbox", "sector", "org_type", "status", "updated", "sort",
// "after", "before"). Stores call it first, so both stores read a query
// the same way.
func (q Query) Normalize() (Query, Position, error) {
	var pos Position
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0:
		return q, pos, Invalidf("limit", "must be positive")
	case q.Limit > MaxLimit:
		return q, pos, Invalidf("limit", "%d is over the maximum of %d", q.Limit, MaxLimit)
	}
	if len(q.Text) > MaxQueryText {
		return q, pos, Invalidf("text", "is %d bytes long; the limit is %d", len(q.Text), MaxQueryText)
	}
	q.Text = Fold(q.Text)
	for i, s := range q.Sources {
		if !ValidSlug(s) {
			return q, pos, Invalidf(fmt.Sprintf("sources[%d]", i), "%q is not a source id", clip(s))
		}
	}
	if q.BBox != nil {
		if _, err := geo.NewBBox(q.BBox.MinLon, q.BBox.MinLat, q.BBox.MaxLon, q.BBox.MaxLat); err != nil {
			return q, pos, Invalidf("bbox", "%v", err)
		}
	}
	if err := checkStrings(field{"sector", q.Sector, MaxShort}, field{"org_type", q.OrgType, MaxShort}, field{"status", q.Status, MaxShort}); err != nil {
		return q, pos, err
	}
	if u := q.Updated; !u.From.IsZero() && !u.To.IsZero() && u.From.After(u.To) {
		return q, pos, Invalidf("updated", "the range starts after it ends")
	}
	switch q.Sort.Field {
	case "":
		q.Sort.Field = SortID
	case SortID, SortName, SortUpdated:
	default:
		return q, pos, Invalidf("sort", "%q is not a sort field; use id, name or updated", clip(string(q.Sort.Field)))
	}
	var err error
	switch {
	case q.After != "" && q.Before != "":
		return q, pos, Invalidf("before", "cannot be combined with after")
	case q.After != "":
		pos, err = decodeCursor(q.After, q.Sort, "after")
	case q.Before != "":
		pos, err = decodeCursor(q.Before, q.Sort, "before")
		pos.Before = true
	}
	return q, pos, err
}

// Descending reports whether a store must read the normalised query's
// rows in descending key order from pos: a descending sort read forwards,
// or an ascending one read backwards.
func (q Query) Descending(pos Position) bool { return q.Sort.Desc != pos.Before }

// Finish makes the page a store returns for the normalised query q from
// pos. rows are the matches beyond pos in the order the store read them
// (see Descending), up to q.Limit+1 of them: one more than a page tells
// that the page is not the last one in that direction.
func (q Query) Finish(rows []Feature, pos Position, matched int) Page {
	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	if pos.Before {
		slices.Reverse(rows)
	}
	p := Page{Features: rows, Matched: matched}
	if len(rows) == 0 {
		// Past either end: point back at where the reader came from.
		if !pos.IsZero() {
			back := pos
			back.Before = !pos.Before
			if pos.Before {
				p.Next = encodeCursor(q.Sort, back)
			} else {
				p.Prev = encodeCursor(q.Sort, back)
			}
		}
		return p
	}
	first, last := q.position(rows[0]), q.position(rows[len(rows)-1])
	switch {
	case pos.Before:
		p.Next = encodeCursor(q.Sort, last)
		if more {
			p.Prev = encodeCursor(q.Sort, first)
		}
	default:
		if more {
			p.Next = encodeCursor(q.Sort, last)
		}
		if !pos.IsZero() {
			p.Prev = encodeCursor(q.Sort, first)
		}
	}
	return p
}

// position returns f's sort key under q's sort.
func (q Query) position(f Feature) Position {
	p := Position{ID: f.ID}
	switch q.Sort.Field {
	case SortName:
		p.Name = f.Name
	case SortUpdated:
		p.Updated = f.UpdatedAt.UTC().Truncate(time.Millisecond)
	}
	return p
}

// Cursor returns the opaque cursor that continues a query in the default
// order (by id, ascending) after the feature with this id.
func Cursor(lastID string) string {
	return encodeCursor(Sort{Field: SortID}, Position{ID: lastID})
}

// cursor is the encoded form of a Position, bound to the sort it was made
// for. A checksum makes an edited or truncated cursor an error rather
// than a jump to an arbitrary place.
type cursor struct {
	Field   SortField `json:"f"`
	Desc    bool      `json:"d,omitempty"`
	ID      string    `json:"i"`
	Name    string    `json:"n,omitempty"`
	Updated string    `json:"u,omitempty"`
}

const cursorSumLen = 6

func encodeCursor(s Sort, p Position) string {
	c := cursor{Field: s.Field, Desc: s.Desc, ID: p.ID, Name: p.Name}
	if !p.Updated.IsZero() {
		c.Updated = p.Updated.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(c) // plain strings and bools cannot fail
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(append(b, sum[:cursorSumLen]...))
}

func decodeCursor(s string, sort Sort, name string) (Position, error) {
	bad := Invalidf(name, "is not a cursor this server issued")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) <= cursorSumLen {
		return Position{}, bad
	}
	body, sum := b[:len(b)-cursorSumLen], b[len(b)-cursorSumLen:]
	if want := sha256.Sum256(body); string(want[:cursorSumLen]) != string(sum) {
		return Position{}, bad
	}
	var c cursor
	if err := json.Unmarshal(body, &c); err != nil || c.ID == "" {
		return Position{}, bad
	}
	if c.Field != sort.Field || c.Desc != sort.Desc {
		return Position{}, Invalidf(name, "the cursor belongs to another sort order")
	}
	p := Position{ID: c.ID, Name: c.Name}
	if c.Field == SortUpdated {
		if p.Updated, err = time.Parse(time.RFC3339Nano, c.Updated); err != nil {
			return Position{}, bad
		}
	}
	return p, nil
}

// EscapeLike escapes the LIKE wildcards % and _ and the escape character \
// in s, for a LIKE pattern with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
