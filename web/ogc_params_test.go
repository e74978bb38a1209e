package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
)

func TestParseDatetime(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	instant := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want coopmap.TimeRange
	}{
		{"2024-05-01T12:30:00Z", coopmap.TimeRange{From: instant, To: instant}},
		{"2024-05-01", coopmap.TimeRange{From: day, To: day.Add(24*time.Hour - time.Millisecond)}},
		{"2024-05-01/..", coopmap.TimeRange{From: day}},
		{"/2024-05-01", coopmap.TimeRange{To: day.Add(24*time.Hour - time.Millisecond)}},
		{"2024-05-01T12:30:00Z/2024-05-01T12:30:00Z", coopmap.TimeRange{From: instant, To: instant}},
	} {
		got, err := parseDatetime(tc.in)
		if err != nil || !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) {
			t.Errorf("parseDatetime(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "..", "../..", "/", "2024-13-01", "2024-05-01T25:00:00Z", "2024-05-02/2024-05-01", "now", "2024-05-01/2024-05-02/2024-05-03"} {
		if _, err := parseDatetime(in); coopmap.ErrorField(err) != "datetime" {
			t.Errorf("parseDatetime(%q): %v; want invalid datetime", in, err)
		}
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", formatJSON},
		{"", "*/*", formatJSON},
		{"", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", formatHTML},
		{"", "application/geo+json, application/json;q=0.9, */*;q=0.1", formatJSON},
		{"", "application/json;q=0.5, text/html;q=0.9", formatHTML},
		{"", "text/html;q=0, application/json", formatJSON},
		{"", "image/png", formatJSON},
		{"f=json", "text/html", formatJSON},
		{"f=html", "application/json", formatHTML},
	} {
		r := httptest.NewRequest("GET", "/collections?"+tc.query, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		got, err := negotiate(r, formatJSON, formatHTML)
		if err != nil || got != tc.want {
			t.Errorf("?%s Accept %q: %q, %v; want %q", tc.query, tc.accept, got, err, tc.want)
		}
	}
	for _, q := range []string{"f=xml", "f=", "f=JSON"} {
		r := httptest.NewRequest("GET", "/collections?"+q, nil)
		if _, err := negotiate(r, formatJSON, formatHTML); coopmap.ErrorField(err) != "f" {
			t.Errorf("?%s: %v; want invalid f", q, err)
		}
	}
}

func TestParseBBox(t *testing.T) {
	b, err := parseBBox("170,-10,-170,10")
	if err != nil || !b.CrossesAntimeridian() {
		t.Errorf("antimeridian bbox: %+v %v", b, err)
	}
	if b, err := parseBBox(" -0.5, 51.3 ,0.3,51.7"); err != nil || b.MinLon != -0.5 || b.MaxLat != 51.7 {
		t.Errorf("spaces: %+v %v", b, err)
	}
	for _, in := range []string{"0,0,1", "0,0,1,1,1", "0,0,1,1,1,1,1", "nan,0,1,1", "0,0,+Inf,1", "0,0,1e309,1", "0,91,1,92", "0,1,1,0", "0x1p-2,0,1,1,", ",,,"} {
		if _, err := parseBBox(in); coopmap.ErrorField(err) != "bbox" {
			t.Errorf("parseBBox(%q): %v; want invalid bbox", in, err)
		}
	}
}
