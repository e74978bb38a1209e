package importers

import (
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		head, name, want string
	}{
		{`{"type":"FeatureCollection"}`, "x.dat", FormatGeoJSON},
		{"\ufeff  \n[{\"type\":\"Feature\"}]", "x", FormatGeoJSON},
		{`<?xml version="1.0"?><gpx version="1.1">`, "track.xml", FormatGPX},
		{"<?xml version='1.0' encoding='UTF-8'?>\n<!-- exported -->\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">", "a.txt", FormatKML},
		{`<kml:kml xmlns:kml="http://www.opengis.net/kml/2.2">`, "", FormatKML},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE osm [ <!ENTITY x \"y\"> ]>\n<osm version=\"0.6\">", "", FormatOSM},
		{`<osm version="0.6" generator="CGImap">`, "map", FormatOSM},
		{`<?xml version="1.0"?><svg>`, "a.kml", ""},
		{"<?xml version=\"1.0\"?><!-- " + strings.Repeat("x", 100) /* cut off */, "a.gpx", FormatGPX},
		{"<?xml version=\"1.0\"?><!-- ", "a.csv", ""},
		{"PK\x03\x04\x14\x00", "map.zip", FormatKMZ},
		{"\x00\x00\x00\x0e\x0a\x09OSMHeader\x18\x7c", "andorra.osm.pbf", FormatOSM},
		{"Identifier,Name\nR1,A\n", "coops.json", FormatCSV},
		{"name;lat;lon\n", "", FormatCSV},
		{"\xff\xfen\x00a\x00m\x00e\x00", "", FormatCSV},
		{"\xff\xfe<\x00g\x00p\x00x\x00 \x00", "track.txt", FormatGPX}, // UTF-16LE XML
		{"\xfe\xff\x00<\x00k\x00m\x00l\x00>", "", FormatKML},          // UTF-16BE XML
		{"\xfe\xff\x00<\x00h\x00t\x00m\x00l\x00>", "", FormatCSV},
		{"", "empty.gpx", FormatGPX},
		{"", "empty", FormatCSV},
		{"\x00\x00\x00\x18ftypmp42", "video.csv", ""},
	} {
		if got := Detect([]byte(tc.head), tc.name); got != tc.want {
			t.Errorf("Detect(%q, %q) = %q; want %q", tc.head, tc.name, got, tc.want)
		}
	}
}

func TestFormatFromName(t *testing.T) {
	for name, want := range map[string]string{
		"a.CSV": FormatCSV, "dir.kml/a.gpx": FormatGPX, `C:\x\andorra.osm.bz2`: FormatOSM, "a.geojson.gz": FormatGeoJSON,
		"a.kmz": FormatKMZ, "README": "", "a.shp": "",
	} {
		if got := formatFromName(name); got != want {
			t.Errorf("formatFromName(%q) = %q; want %q", name, got, want)
		}
	}
}

func TestSniffCompression(t *testing.T) {
	if sniffCompression([]byte{0x1f, 0x8b, 8}) != compGzip {
		t.Error("gzip")
	}
	if sniffCompression([]byte("BZh91AY&SY\x00")) != compBzip2 {
		t.Error("bzip2")
	}
	if sniffCompression([]byte("BZh is a CSV header")) != compNone {
		t.Error("text that starts like bzip2")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 7387: "7,387", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q; want %q", n, got, want)
		}
	}
}
