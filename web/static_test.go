package web

import (
	"testing"

	"github.com/coopmap/coopmap"
)

func TestBasemapValidate(t *testing.T) {
	good := []Basemap{
		Basemap{}.withDefaults(),
		{URL: "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png", Attribution: "© Example", MaxZoom: 18},
		{URL: "", Attribution: "none", MaxZoom: 1}, // basemap off
	}
	for _, b := range good {
		if err := b.Validate(); err != nil {
			t.Errorf("%+v: %v", b, err)
		}
	}
	bad := []struct {
		field string
		b     Basemap
	}{
		{"basemap.url", Basemap{URL: "javascript:alert(1)//{z}/{x}/{y}", MaxZoom: 19}},
		{"basemap.url", Basemap{URL: "https://tiles.example.org/{z}/{x}.png", MaxZoom: 19}},
		{"basemap.attribution_url", Basemap{URL: DefaultBasemapURL, AttributionURL: "javascript:alert(1)", MaxZoom: 19}},
		{"basemap.max_zoom", Basemap{URL: DefaultBasemapURL, MaxZoom: 23}},
	}
	for _, c := range bad {
		err := c.b.Validate()
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != c.field {
			t.Errorf("%+v: got %v (field %q), want invalid %s", c.b, err, coopmap.ErrorField(err), c.field)
		}
	}
}

func TestTileOrigin(t *testing.T) {
	for in, want := range map[string]string{
		DefaultBasemapURL: "https://tile.openstreetmap.org",
		"https://{s}.tile.example.org/{z}/{x}/{y}.png": "https://*.tile.example.org",
		"http://127.0.0.1:8081/{z}/{x}/{y}.png":        "http://127.0.0.1:8081",
	} {
		if got, err := tileOrigin(in); err != nil || got != want {
			t.Errorf("tileOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := tileOrigin("data:image/png;base64,{z}{x}{y}"); err == nil {
		t.Error("a data: template passed")
	}
}

func TestAppCSP(t *testing.T) {
	got := appCSP("https://tile.openstreetmap.org", "")
	want := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors *"
	if got != want {
		t.Errorf("appCSP =\n%s\nwant\n%s", got, want)
	}
}
