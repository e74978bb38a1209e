package postcodes

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/geo"
)

// Attribution is the notice that data placed with this table must carry.
const Attribution = "Contains OS data © Crown copyright and database right"

// LicenceID is the licence of the table's data, as a coopmap licence id.
const LicenceID = "OGL-UK-3.0"

//go:embed data/postcodes.csv.gz
var data []byte

// Table maps UK postcode units to their centroids. It is read-only after
// Load, so one Table may be shared by any number of goroutines.
type Table struct {
	units     map[string]orb.Point // key: postcode without spaces, "N226BH"
	districts map[string]orb.Point // key: outward code, "N22"
}

// Load parses the embedded table. Each call parses it afresh (a few
// milliseconds); callers keep the *Table they need. The error means the
// embedded data is damaged, which only a broken build can cause.
func Load() (*Table, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("postcodes: embedded table: %w", err)
	}
	t := &Table{units: make(map[string]orb.Point, 12_500)}
	type sum struct {
		lon, lat float64
		n        int
	}
	sums := map[string]*sum{}
	sc := bufio.NewScanner(zr)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		pc, lat, lng, ok := split3(sc.Text())
		if !ok {
			return nil, fmt.Errorf("postcodes: embedded table line %d: want postcode,lat,lng", line)
		}
		p, err := point(lat, lng)
		if err != nil || !unitShape(pc) {
			return nil, fmt.Errorf("postcodes: embedded table line %d: %q: bad entry", line, sc.Text())
		}
		t.units[pc] = p
		d := pc[:len(pc)-3]
		s := sums[d]
		if s == nil {
			s = &sum{}
			sums[d] = s
		}
		s.lon += p[0]
		s.lat += p[1]
		s.n++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("postcodes: embedded table: %w", err)
	}
	if len(t.units) == 0 {
		return nil, fmt.Errorf("postcodes: embedded table is empty")
	}
	t.districts = make(map[string]orb.Point, len(sums))
	for d, s := range sums {
		t.districts[d] = orb.Point{s.lon / float64(s.n), s.lat / float64(s.n)}
	}
	return t, nil
}

func split3(s string) (a, b, c string, ok bool) {
	a, rest, ok1 := strings.Cut(s, ",")
	b, c, ok2 := strings.Cut(rest, ",")
	return a, b, c, ok1 && ok2 && !strings.Contains(c, ",")
}

func point(lat, lng string) (orb.Point, error) {
	y, err := strconv.ParseFloat(lat, 64)
	if err != nil {
		return orb.Point{}, err
	}
	x, err := strconv.ParseFloat(lng, 64)
	if err != nil {
		return orb.Point{}, err
	}
	p := orb.Point{x, y}
	return p, geo.ValidatePoint(p)
}

// Len returns the number of postcode units in the table.
func (t *Table) Len() int { return len(t.units) }

// Lookup returns the centroid (longitude, latitude) of the postcode unit
// pc, written in any case and with or without spaces ("n22 6bh",
// "N226BH"). It reports false for anything that is not a full postcode in
// the table.
func (t *Table) Lookup(pc string) (orb.Point, bool) {
	p, ok := t.units[compact(pc)]
	return p, ok
}

// District returns the mean of the centroids of the table's units in the
// outward code prefix ("N22", "ec1v"; case and surrounding space do not
// matter). It reports false for anything that is not an outward code with
// at least one unit in the table. The mean of a few units can sit well
// away from the district's true centre: use it to centre a view, not to
// place a record.
func (t *Table) District(prefix string) (orb.Point, bool) {
	p, ok := t.districts[compact(prefix)]
	return p, ok
}

// Normalize returns pc in the canonical form: upper case, the outward and
// inward codes separated by one space ("n226bh" and " N22  6BH " both give
// "N22 6BH"); an outward code alone comes back as just that ("N22"). It
// returns "" when pc has neither shape, so it doubles as a syntax check.
// It does not say whether the postcode exists.
func Normalize(pc string) string {
	c := compact(pc)
	switch {
	case unitShape(c):
		return c[:len(c)-3] + " " + c[len(c)-3:]
	case outwardShape(c):
		return c
	}
	return ""
}

// compact upper-cases s and removes all white space.
func compact(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0':
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// outwardShape reports whether s (compact) is an outward code: A9, A99,
// A9A, AA9, AA99 or AA9A.
func outwardShape(s string) bool {
	if len(s) < 2 || len(s) > 4 || !isLetter(s[0]) {
		return false
	}
	i := 1
	if isLetter(s[i]) {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return false
	}
	i++
	if i == len(s) {
		return true
	}
	return i == len(s)-1 && (isDigit(s[i]) || isLetter(s[i]))
}

// unitShape reports whether s (compact) is a full postcode: an outward
// code followed by a digit and two letters.
func unitShape(s string) bool {
	n := len(s)
	return n >= 5 && isDigit(s[n-3]) && isLetter(s[n-2]) && isLetter(s[n-1]) && outwardShape(s[:n-3])
}
