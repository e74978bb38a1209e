package osm_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers/internal/importertest"
	"github.com/coopmap/coopmap/importers/osm"
)

// A filter keeps what its terms say, named or not, nodes and ways alike:
// the 24 cycleways of the Wood Green extract (counted with grep in the
// file) become lines, and nothing else does.
func TestParseFilter(t *testing.T) {
	f, err := osm.ParseFilter("highway=cycleway")
	if err != nil {
		t.Fatal(err)
	}
	r := &importertest.Recorder{}
	if err := osm.New(osm.Options{Filter: f})(context.Background(), bytes.NewReader(readFile(t, "wood-green-highways.osm")), "wg.osm", r); err != nil {
		t.Fatal(err)
	}
	if len(r.Features)+len(r.Problems) != 24 {
		t.Errorf("%d features and %d problems; want 24 cycleways in all: %v", len(r.Features), len(r.Problems), r.Problems)
	}
	for _, f := range r.Features {
		if _, ok := f.Geometry.(orb.LineString); !ok || f.Properties["highway"] != "cycleway" || !strings.HasPrefix(f.ID, "way/") {
			t.Errorf("%s: %T %v", f.ID, f.Geometry, f.Properties)
		}
	}

	// Several terms: any one matching keeps the object, named or not
	// (node/104 is an unnamed bakery, way/205 an unnamed building); key=*
	// is any value but no (node/106 is shop=no). Deleted objects stay out
	// (node/107), and kept objects that cannot be stored are problems
	// (way/207, a closed way of 3 nodes).
	for spec, want := range map[string]string{
		"shop=bakery,building=yes": "node/104 way/201 way/204 way/205 | way/207",
		"shop=*":                   "node/101 node/104 | ",
	} {
		f, err := osm.ParseFilter(spec)
		if err != nil {
			t.Fatal(err)
		}
		r := &importertest.Recorder{}
		if err := osm.New(osm.Options{Filter: f})(context.Background(), bytes.NewReader(readFile(t, "coops.osm")), "coops.osm", r); err != nil {
			t.Fatal(err)
		}
		var got, bad []string
		for _, f := range r.Features {
			got = append(got, f.ID)
		}
		for _, p := range r.Problems {
			bad = append(bad, strings.TrimSuffix(strings.Fields(strings.TrimPrefix(p, "coops.osm: "))[0], ":"))
		}
		if g := strings.Join(got, " ") + " | " + strings.Join(bad, " "); g != want {
			t.Errorf("%s kept %q; want %q", spec, g, want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, spec := range []string{"", " ", "amenity", "=cafe", "amenity=", "a=b,,c=d", strings.Repeat("a=b,", osm.MaxFilterTerms) + "a=b"} {
		if _, err := osm.ParseFilter(spec); coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != "osm-filter" {
			t.Errorf("ParseFilter(%.40q) = %v; want invalid osm-filter", spec, err)
		}
	}
}
