package importers

import "testing"

func TestSameName(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Bread Co-op", "The Bread Co-operative Limited", true},
		{"Unicorn", "Unicorn Grocery", true},
		{"Maesteg Workmen's Club", "Maesteg Workmen's Club and Institute Limited", true},
		{"Café Münster", "CAFE MUNSTER LTD", true},
		{"Bus stop", "Maesteg Workmen's Club", false},
		{"Co-op", "The Co-operative Group", false}, // only filler words: too vague
		{"", "Unicorn", false},
	} {
		if got := sameName(c.a, c.b); got != c.want {
			t.Errorf("sameName(%q, %q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSlugFromName(t *testing.T) {
	for in, want := range map[string]string{
		"rides/North London ride.gpx": "north-london-ride",
		`C:\GPS\Tour_2024-05.gpx`:     "tour-2024-05",
		"--.gpx":                      "tour",
		"Ünïcode.gpx":                 "unicode",
	} {
		if got := slugFromName(in); got != want {
			t.Errorf("slugFromName(%q) = %q; want %q", in, got, want)
		}
	}
}
