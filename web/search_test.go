package web

import (
	"net/url"
	"testing"

	"github.com/coopmap/coopmap"
)

// The endpoints themselves are tested end to end over both stores in
// cmd/coopmap/search_test.go (web may not import a store); these pin the
// parameter parsing they share.

func TestIntParam(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want int
		bad  bool
	}{
		{"", 0, false}, {"n=1", 1, false}, {"n=100", 100, false},
		{"n=0", 0, true}, {"n=-1", 0, true}, {"n=101", 0, true}, {"n=1e9", 0, true}, {"n=abc", 0, true},
		{"n=2.5", 0, true}, {"n=", 0, true}, {"n=99999999999999999999999", 0, true}, {"n=%2B5", 5, false}, {"n=+5", 0, true},
	} {
		v, _ := url.ParseQuery(c.raw)
		got, err := intParam(v, "n", 100)
		if c.bad != (err != nil) || got != c.want {
			t.Errorf("%q: %d, %v", c.raw, got, err)
		}
		if err != nil && coopmap.ErrorField(err) != "n" {
			t.Errorf("%q: field %q", c.raw, coopmap.ErrorField(err))
		}
	}
}

func TestFloatParam(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want float64
		bad  bool
	}{
		{"lon=-2.5", -2.5, false}, {"lon=180", 180, false}, {"lon=1e2", 100, false},
		{"", 0, true}, {"lon=", 0, true}, {"lon=NaN", 0, true}, {"lon=nan", 0, true}, {"lon=Infinity", 0, true},
		{"lon=-Inf", 0, true}, {"lon=1e999", 0, true}, {"lon=0x1p3", 0, true}, {"lon=1_0", 0, true}, {"lon=abc", 0, true},
	} {
		v, _ := url.ParseQuery(c.raw)
		got, err := floatParam(v, "lon")
		if c.bad != (err != nil) || got != c.want {
			t.Errorf("%q: %v, %v", c.raw, got, err)
		}
		if err != nil && coopmap.ErrorField(err) != "lon" {
			t.Errorf("%q: field %q", c.raw, coopmap.ErrorField(err))
		}
	}
}
