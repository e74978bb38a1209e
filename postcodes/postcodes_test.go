package postcodes

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func load(t *testing.T) *Table {
	t.Helper()
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func near(a, b orb.Point) bool {
	return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9
}

func TestLoad(t *testing.T) {
	tab := load(t)
	if tab.Len() != 12_435 {
		t.Errorf("Len = %d; want the 12,435 units with coordinates", tab.Len())
	}
}

func TestLookup(t *testing.T) {
	tab := load(t)
	// Real rows of the table (OS centroids as published).
	maesteg := orb.Point{-3.654690, 51.608347}
	for _, pc := range []string{"CF34 9YY", "cf349yy", " CF34  9YY ", "Cf34\u00a09yY"} {
		if p, ok := tab.Lookup(pc); !ok || !near(p, maesteg) {
			t.Errorf("Lookup(%q) = %v, %v; want %v", pc, p, ok, maesteg)
		}
	}
	if p, ok := tab.Lookup("N22 5NJ"); !ok || !near(p, orb.Point{-0.110172, 51.600434}) {
		t.Errorf("Lookup(N22 5NJ) = %v, %v", p, ok)
	}
	for _, pc := range []string{
		"",
		"N22",      // a district, not a unit
		"BT40 3JY", // Northern Ireland: OS had no match
		"HA4OJE",   // a typo (O for 0) in the source, left out
		"SW1A 1AA", // real, but not a co-op's postcode in 2016
		"not a postcode",
	} {
		if p, ok := tab.Lookup(pc); ok {
			t.Errorf("Lookup(%q) = %v; want unknown", pc, p)
		}
	}
}

func TestDistrict(t *testing.T) {
	tab := load(t)
	// N22 has three units in the table; the district is their mean.
	want := orb.Point{(-0.110172 - 0.100032 - 0.120660) / 3, (51.600434 + 51.604659 + 51.605216) / 3}
	for _, d := range []string{"N22", "n22", " N22 "} {
		if p, ok := tab.District(d); !ok || !near(p, want) {
			t.Errorf("District(%q) = %v, %v; want %v", d, p, ok, want)
		}
	}
	if p, ok := tab.District("EC1V"); !ok || p[1] < 51.5 || p[1] > 51.55 || p[0] < -0.12 || p[0] > -0.08 {
		t.Errorf("District(EC1V) = %v, %v; want a point in Clerkenwell", p, ok)
	}
	for _, d := range []string{"", "N", "N22 5NJ", "BT40", "ZZ99"} {
		if p, ok := tab.District(d); ok {
			t.Errorf("District(%q) = %v; want unknown", d, p)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"n226bh":     "N22 6BH",
		" N22  6BH ": "N22 6BH",
		"ec1v4pw":    "EC1V 4PW",
		"W1A 1AA":    "W1A 1AA",
		"m1 1ae":     "M1 1AE",
		"CF34 9YY":   "CF34 9YY",
		"n22":        "N22",
		"EC1V":       "EC1V",
		"":           "",
		"N22 6B":     "",
		"HA4OJE":     "", // letter O where the inward code needs a digit
		"12345":      "",
		"SLEMISH":    "",
		"N22 6BH X":  "",
		"ML29BD.":    "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q; want %q", in, got, want)
		}
	}
}

// Every unit in the table is in canonical shape and inside the British
// Isles, so the table can place records without further checks.
func TestTableSane(t *testing.T) {
	tab := load(t)
	for pc, p := range tab.units {
		if Normalize(pc) == "" {
			t.Errorf("unit %q is not a postcode", pc)
		}
		if p[0] < -8.7 || p[0] > 1.8 || p[1] < 49.8 || p[1] > 60.9 {
			t.Errorf("unit %q at %v is outside Great Britain", pc, p)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
