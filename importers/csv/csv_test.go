package csv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/postcodes"
)

// recorder is an importers.Emitter (and Noter) that keeps everything.
type recorder struct {
	features []coopmap.Feature
	wheres   []string
	problems []string
	notes    []string
}

func (r *recorder) Feature(f coopmap.Feature, where string) error {
	r.features = append(r.features, f)
	r.wheres = append(r.wheres, where)
	return nil
}
func (r *recorder) Problem(where, why string) { r.problems = append(r.problems, where+": "+why) }
func (r *recorder) Note(where, why string)    { r.notes = append(r.notes, where+": "+why) }

var (
	_ importers.Emitter = (*recorder)(nil)
	_ importers.Noter   = (*recorder)(nil)
)

func table(t testing.TB) *postcodes.Table {
	t.Helper()
	tab, err := postcodes.Load()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// parseFile runs a parser with opts over testdata/name.
func parseFile(t *testing.T, name string, opts Options) (*recorder, error) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseReader(t, f, name, opts)
}

func parseReader(t testing.TB, r io.Reader, name string, opts Options) (*recorder, error) {
	t.Helper()
	p, err := New(opts, table(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	return rec, p(context.Background(), r, name, rec)
}

func byID(rec *recorder) map[string]coopmap.Feature {
	m := map[string]coopmap.Feature{}
	for _, f := range rec.features {
		m[f.ID] = f
	}
	return m
}

// wantProblems checks the problems, in order, by prefix.
func wantProblems(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d problems; want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q; want prefix %q", i, got[i], want[i])
		}
	}
}

func near(a, b orb.Point) bool {
	return abs(a[0]-b[0]) < 1e-9 && abs(a[1]-b[1]) < 1e-9
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// The whole Co-operatives UK file: 7,387 rows, 7,090 with coordinates
// and 7 more placed by postcode; the other 290 are problems naming their
// line.
func TestCoopsUKFull(t *testing.T) {
	rec, err := parseFile(t, "../../../demo/coops-uk-Q2-2023.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.features) + len(rec.problems); n != 7387 {
		t.Errorf("%d records; want 7,387", n)
	}
	prec := map[coopmap.Precision]int{}
	ids := map[string]bool{}
	for _, f := range rec.features {
		prec[f.Precision]++
		if ids[f.ID] {
			t.Errorf("key %s twice", f.ID)
		}
		ids[f.ID] = true
		f.SourceID = "coops-uk"
		f.ID = coopmap.FeatureID("coops-uk", f.ID)
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", f.ID, err)
		}
	}
	// 7,086 OS postcode centroids + 7 placed from the table; 4 rows
	// geocoded to a town by OpenStreetMap.
	if len(rec.features) != 7097 || prec[coopmap.PrecisionPostcode] != 7093 || prec[coopmap.PrecisionArea] != 4 {
		t.Errorf("%d features, precisions %v; want 7,097: 7,093 postcode, 4 area", len(rec.features), prec)
	}
	if len(rec.problems) != 290 {
		t.Errorf("%d problems; want 290", len(rec.problems))
	}
	wantFirst := []string{
		`coops-uk-Q2-2023.csv:28: no coordinates, and postcode "NP3 6SX" is not in the postcode table`,
		// The row starts on line 130 and its address spans to 132.
		`coops-uk-Q2-2023.csv:130: no coordinates, and postcode "BT40 3JY" is not in the postcode table`,
	}
	for i, w := range wantFirst {
		if !strings.HasSuffix(rec.problems[i], w) {
			t.Errorf("problem %d = %q; want %q", i, rec.problems[i], w)
		}
	}
	if len(rec.notes) != 0 {
		t.Errorf("notes: %v", rec.notes[:min(5, len(rec.notes))])
	}
}

func TestCoopsUKSample(t *testing.T) {
	rec, err := parseFile(t, "coops-uk-sample.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.features) != 34 {
		t.Errorf("%d features; want 34", len(rec.features))
	}
	wantProblems(t, rec.problems,
		`coops-uk-sample.csv:28: no coordinates, and postcode "NP3 6SX" is not in the postcode table`,
		`coops-uk-sample.csv:`, `coops-uk-sample.csv:`)
	m := byID(rec)
	f := m["R006884"]
	want := coopmap.Feature{
		ID: "R006884", Name: "Maesteg Workmen's Club and Institute Limited",
		Sector:  "Membership associations, social clubs and trade unions",
		OrgType: "Society", Address: "11 Temple Street, Maesteg, Bridgend", Postcode: "CF34 9YY",
		Precision: coopmap.PrecisionPostcode, Geometry: orb.Point{-3.654703, 51.608344},
		Properties: map[string]any{
			"country": "GB", "geo_container": "http://data.ordnancesurvey.co.uk/id/postcodeunit/CF349YY",
			"legal_form": "Society", "local_authority": "Bridgend", "membership_type": "Consumer/Users",
			"organisational_structure": "Community Benefit Society / Industrial and Provident Society (IPS)",
			"ownership":                "Consumers", "primary_activity": "ICA280", "sic_code": "94990",
			"sic_section": "Other Service Activities",
		},
	}
	if fmt.Sprintf("%+v", f) != fmt.Sprintf("%+v", want) {
		t.Errorf("R006884 =\n%+v\nwant\n%+v", f, want)
	}
	// A multi-line street address joins with commas; a website survives.
	if f := m["R007634"]; f.Address != "2 Arinabea Cottage, Tyndrum, Crianlarich, Argyll and Bute" || f.Website != "http://www.argyllfencers.org" || f.Properties["companies_house_number"] != "SC399880" {
		t.Errorf("R007634 = %+v", f)
	}
	// Placed from the postcode table.
	if f := m["R005137"]; f.Precision != coopmap.PrecisionPostcode || f.Postcode != "DN15 7NL" {
		t.Errorf("R005137 = %+v", f)
	} else if p, _ := table(t).Lookup("DN15 7NL"); !near(f.Geometry.(orb.Point), p) {
		t.Errorf("R005137 at %v; want the DN15 7NL centroid %v", f.Geometry, p)
	}
	// Geocoded from a town name: precision area.
	if f := m["R030934"]; f.Precision != coopmap.PrecisionArea || f.Postcode != "" {
		t.Errorf("R030934 = %+v", f)
	}
	// Without a postcode table, the rows needing one are problems.
	f2, _ := os.Open("testdata/coops-uk-sample.csv")
	defer f2.Close()
	rec2 := &recorder{}
	if err := Parse(context.Background(), f2, "s.csv", rec2); err != nil {
		t.Fatal(err)
	}
	if len(rec2.features) != 31 || !strings.Contains(rec2.problems[0], "no postcode table") {
		t.Errorf("Parse without a table: %d features, problems %v", len(rec2.features), rec2.problems)
	}
}

func TestSemicolonWindows1252(t *testing.T) {
	rec, err := parseFile(t, "semicolon-cp1252.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rec.problems)
	m := byID(rec)
	if f := m["1"]; f.Name != "Café Royale Co-op" || f.Postcode != "N22 5NJ" || !near(f.Geometry.(orb.Point), orb.Point{-0.1101, 51.6004}) || f.Precision != coopmap.PrecisionExact {
		t.Errorf("row 1 = %+v", f)
	}
	if f := m["2"]; f.Name != "Crèche Coopérative" {
		t.Errorf("row 2 = %+v", f)
	}
	if f := m["3"]; f.Name != "Smith – Sons (€ shop)" || f.Precision != coopmap.PrecisionPostcode {
		t.Errorf("row 3 = %+v", f)
	}
	if len(rec.notes) != 1 || !strings.Contains(rec.notes[0], "Windows-1252") {
		t.Errorf("notes = %v; want one saying the file was read as Windows-1252", rec.notes)
	}
	// Given explicitly, there is nothing to note.
	rec, err = parseFile(t, "semicolon-cp1252.csv", Options{Encoding: "cp1252", Delimiter: ';'})
	if err != nil || len(rec.features) != 3 || len(rec.notes) != 0 {
		t.Errorf("explicit cp1252: %v, %d features, notes %v", err, len(rec.features), rec.notes)
	}
	// Forced to UTF-8, the rows with accents are problems.
	rec, err = parseFile(t, "semicolon-cp1252.csv", Options{Encoding: "utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rec.problems,
		`semicolon-cp1252.csv:2: column "name" is not valid UTF-8`,
		`semicolon-cp1252.csv:3: column "name" is not valid UTF-8`,
		`semicolon-cp1252.csv:4: column "name" is not valid UTF-8`)
}

func TestLateWindows1252(t *testing.T) {
	// 64 KiB of UTF-8 first, then a Windows-1252 byte.
	var b strings.Builder
	b.WriteString("id,name,lat,lon\n")
	for i := 0; b.Len() < sniffSize+100; i++ {
		fmt.Fprintf(&b, "%d,Caf\u00e9 %d,51.5,-0.1\n", i, i)
	}
	b.WriteString("late,Na\xefve,51.5,-0.1\n")
	rec, err := parseReader(t, strings.NewReader(b.String()), "late.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := rec.features[len(rec.features)-1]
	if last.Name != "Naïve" || len(rec.notes) != 1 || !strings.Contains(rec.notes[0], "not UTF-8") {
		t.Errorf("late 1252: %q, notes %v", last.Name, rec.notes)
	}
}

func TestBOMAndValues(t *testing.T) {
	rec, err := parseFile(t, "bom.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rec.problems)
	if len(rec.features) != 2 {
		t.Fatalf("%d features", len(rec.features))
	}
	f := rec.features[0]
	if f.Name != "Café Zürich" || f.Website != "http://www.example.coop" || f.Email != "info@example.coop" || f.ID != "" {
		t.Errorf("row 1 = %+v", f)
	}
	// Bad values are dropped with notes; the row stays.
	f = rec.features[1]
	if f.Website != "" || f.Email != "" || len(rec.notes) != 2 ||
		!strings.HasPrefix(rec.notes[0], `bom.csv:3: website: "ftp://example.coop" is not an http or https URL`) ||
		!strings.HasPrefix(rec.notes[1], `bom.csv:3: email: "not an email" is not an e-mail address`) {
		t.Errorf("row 2 = %+v, notes %q", f, rec.notes)
	}
}

func TestWKT(t *testing.T) {
	rec, err := parseFile(t, "wkt.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rec.problems,
		"wkt.csv:6: wkt: SRID 27700: only WGS84",
		"wkt.csv:7: wkt: only 2-D geometries",
		`wkt.csv:8: wkt: "NaN" is not WKT`,
		`wkt.csv:9: wkt: "0x1p3" is not a plain decimal number`,
		"wkt.csv:10: wkt: is not valid WKT",
	)
	m := byID(rec)
	if _, ok := m["p1"].Geometry.(orb.Point); !ok {
		t.Errorf("p1 = %+v", m["p1"])
	}
	if g, ok := m["l1"].Geometry.(orb.LineString); !ok || len(g) != 2 {
		t.Errorf("l1 = %+v", m["l1"])
	}
	if g, ok := m["a1"].Geometry.(orb.Polygon); !ok || len(g[0]) != 4 {
		t.Errorf("a1 = %+v", m["a1"])
	}
	if g, ok := m["e1"].Geometry.(orb.Point); !ok || g != (orb.Point{-1, 52}) {
		t.Errorf("e1 = %+v", m["e1"])
	}
	if g, ok := m["m1"].Geometry.(orb.MultiPoint); !ok || len(g) != 2 || m["m1"].Precision != coopmap.PrecisionExact {
		t.Errorf("m1 = %+v", m["m1"])
	}
}

func TestNumbers(t *testing.T) {
	rec, err := parseFile(t, "numbers.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rec.problems,
		`numbers.csv:5: lat: "NaN" is not a plain decimal number`,
		`numbers.csv:6: lon: "Inf" is not a plain decimal number`,
		`numbers.csv:7: lat: "0x1p3" is not a plain decimal number`,
		`numbers.csv:8: lat: "5_1" is not a plain decimal number`,
		`numbers.csv:9: lat: "1e400" is out of range`,
		`numbers.csv:10: has only one coordinate`,
		`numbers.csv:11: no location: no coordinates and no postcode`,
		`numbers.csv:13: lat: latitude 91 is outside [-90, 90]`,
		`numbers.csv:14: lon/lat 530000, 180000 look like British National Grid`,
		`numbers.csv:15: lon: "-0,1" is not a plain decimal number`,
		`numbers.csv:16: lat: "1,000.5" is not a plain decimal number`,
	)
	m := byID(rec)
	for id, p := range map[string]orb.Point{"ok": {-0.1, 51.5}, "plus": {-0.1, 51.5}, "exp": {-0.1, 51.5}, "space": {-0.1, 51.5}} {
		if g, ok := m[id].Geometry.(orb.Point); !ok || !near(g, p) {
			t.Errorf("%s = %v; want %v", id, m[id].Geometry, p)
		}
	}
	// 0,0 means "no coordinates": the postcode places it.
	if f := m["zeropc"]; f.Precision != coopmap.PrecisionPostcode || f.Postcode != "CF34 9YY" {
		t.Errorf("zeropc = %+v", f)
	}
}

// A British latitude in the longitude column is swapped back with a note;
// coordinates from elsewhere, even in the same ranges, are left alone.
func TestSwappedLatLon(t *testing.T) {
	in := "id,name,lat,lon\nS1,Hackney,-0.0553,51.5450\nK1,Nairobi,-1.2864,36.8172\nS2,Leeds,53.8008,-1.5491\n"
	rec, err := parseReader(t, strings.NewReader(in), "swapped.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := byID(rec)
	for id, p := range map[string]orb.Point{"S1": {-0.0553, 51.5450}, "K1": {36.8172, -1.2864}, "S2": {-1.5491, 53.8008}} {
		if g, ok := m[id].Geometry.(orb.Point); !ok || !near(g, p) {
			t.Errorf("%s = %v; want %v", id, m[id].Geometry, p)
		}
	}
	want := `swapped.csv:2: lon 51.5450 and lat -0.0553 look swapped (a British latitude in the longitude column): read as longitude -0.0553, latitude 51.5450`
	if len(rec.notes) != 1 || rec.notes[0] != want {
		t.Errorf("notes = %q; want [%q]", rec.notes, want)
	}
}

func TestParseNumber(t *testing.T) {
	good := map[string]float64{"1": 1, "-1.5": -1.5, "+2": 2, ".5": .5, "5.": 5, "1e3": 1000, "1E-3": .001, "-0": 0}
	for s, want := range good {
		if got, err := parseNumber(s, false); err != nil || got != want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", " ", "NaN", "nan", "Inf", "+Inf", "-infinity", "0x1p3", "0X10", "1_000", "1,5", "1.2.3", "e5", "1e", "--1", "1e400", "٣", "１"} {
		if got, err := parseNumber(s, false); err == nil {
			t.Errorf("parseNumber(%q) = %v; want an error", s, got)
		}
	}
	if got, err := parseNumber("51,5", true); err != nil || got != 51.5 {
		t.Errorf("decimal comma: %v, %v", got, err)
	}
	if _, err := parseNumber("1,000,5", true); err == nil {
		t.Error("two decimal commas accepted")
	}
}

func TestQuotedNewlines(t *testing.T) {
	rec, err := parseFile(t, "quoted-newlines.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Problems name the line each record starts on.
	wantProblems(t, rec.problems,
		`quoted-newlines.csv:6: lat: "NaN" is not`,
		`quoted-newlines.csv:9: no location: no coordinates`,
	)
	if len(rec.features) != 2 || rec.wheres[0] != "quoted-newlines.csv:2" || rec.wheres[1] != "quoted-newlines.csv:7" {
		t.Fatalf("features at %v", rec.wheres)
	}
	f := rec.features[0]
	if f.Name != `First "quoted" co-op` || f.Description != "Line one\nline two\nline three" || f.Address != "1 Street, Town" {
		t.Errorf("a = %+v", f)
	}
	if rec.features[1].Name != "Third,\nwith comma" {
		t.Errorf("c = %+v", rec.features[1])
	}
}

func TestRagged(t *testing.T) {
	rec, err := parseFile(t, "ragged.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rec.problems,
		"ragged.csv:3: has 3 fields; the header has 4",
		"ragged.csv:4: has 5 fields; the header has 4",
		`ragged.csv:5: a quote (") inside an unquoted field`,
	)
	if len(rec.features) != 2 || rec.features[1].Name != `Good "again"` || rec.wheres[1] != "ragged.csv:7" {
		t.Errorf("features %+v at %v", rec.features, rec.wheres)
	}
}

func TestMapping(t *testing.T) {
	body := "Ref;Organisation;Northing;Easting;Where\nA1;First;51.5;-0.1;N22 5NJ\nA2;Second;;;N22 5NJ\n"
	// Latitude and longitude under names nobody guesses.
	m, err := ReadMapping(strings.NewReader("# columns\nlat = Northing\nlon=Easting\n\npostcode=Where\n"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := parseReader(t, strings.NewReader(body), "m.csv", Options{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.features) != 2 || rec.features[0].ID != "A1" || rec.features[0].Name != "First" ||
		rec.features[0].Precision != coopmap.PrecisionExact || rec.features[1].Precision != coopmap.PrecisionPostcode {
		t.Errorf("features %+v; problems %v", rec.features, rec.problems)
	}
	// The same as JSON.
	mj, err := ReadMapping(strings.NewReader(`{"lat": "Northing", "lon": "Easting", "postcode": "Where"}`))
	if err != nil || mj != m {
		t.Errorf("JSON mapping = %+v, %v; want %+v", mj, err, m)
	}
	// Without the mapping there is no location column.
	_, err = parseReader(t, strings.NewReader(body), "m.csv", Options{})
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || !strings.Contains(err.Error(), "no location columns") {
		t.Errorf("no mapping: %v", err)
	}
	// A mapping naming a missing column is refused up front.
	var bad Mapping
	bad.Set("lat", "Latitude")
	bad.Set("lon", "Easting")
	_, err = parseReader(t, strings.NewReader(body), "m.csv", Options{Mapping: bad})
	if coopmap.ErrorField(err) != "mapping.lat" || !strings.Contains(err.Error(), `"Northing"`) {
		t.Errorf("missing column: %v", err)
	}
	for _, s := range []string{"frob=x", "lat", `{"lat": 3}`, "lat="} {
		if _, err := ReadMapping(strings.NewReader(s)); err == nil {
			t.Errorf("ReadMapping(%q) accepted", s)
		}
	}
	// A mapping turns off the Co-operatives UK layout.
	var cm Mapping
	cm.Set("id", "Identifier")
	cm.Set("lat", "Geo Container Latitude")
	cm.Set("lon", "Geo Container Longitude")
	rec, err = parseFile(t, "coops-uk-sample.csv", Options{Mapping: cm, Precision: coopmap.PrecisionPostcode})
	if err != nil {
		t.Fatal(err)
	}
	if f := rec.features[0]; f.ID != "R006884" || f.OrgType != "Society" || f.Properties["Ownership Classification"] != "Consumers" || f.Precision != coopmap.PrecisionPostcode {
		t.Errorf("generic read of the Co-ops UK sample: %+v", f)
	}
}

func TestWholeStreamErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		opts Options
		want string
	}{
		"empty":           {"", Options{}, "is empty"},
		"header quote":    {"a,b\"c,lat,lon\n", Options{}, "header"},
		"lat without lon": {"name,lat\nx,1\n", Options{}, "no longitude column"},
		"unclosed quote":  {"id,lat,lon\n1,\"" + strings.Repeat("x", MaxRecordSize+20_000) + "\n", Options{}, "longer than 1 MiB"},
		"long line":       {"id,lat,lon\n" + strings.Repeat("y", 2*MaxRecordSize), Options{}, "longer than 1 MiB"},
		"utf16 missing":   {"id,lat,lon\n", Options{Encoding: "utf-16"}, "no UTF-16 byte-order mark"},
		"many fields":     {strings.Repeat("a,", MaxFields) + "lat,lon\n", Options{}, "the limit is 1000"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseReader(t, strings.NewReader(tc.body), "x.csv", tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := New(Options{Encoding: "ebcdic"}, nil); coopmap.ErrorField(err) != "encoding" {
		t.Errorf("bad encoding: %v", err)
	}
	if _, err := New(Options{Delimiter: ':'}, nil); coopmap.ErrorField(err) != "delimiter" {
		t.Errorf("bad delimiter: %v", err)
	}
}

func TestUTF16(t *testing.T) {
	s := "name\tlatitude\tlongitude\r\nCafé\t51.5\t-0.1\r\n"
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	rec, err := parseReader(t, strings.NewReader(string(b)), "u.txt", Options{})
	if err != nil || len(rec.features) != 1 || rec.features[0].Name != "Café" {
		t.Errorf("UTF-16: %v, %+v, %v", err, rec.features, rec.problems)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := New(Options{}, nil)
	err := p(ctx, strings.NewReader("name,lat,lon\na,1,1\n"), "c.csv", &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSniffDelimiter(t *testing.T) {
	for head, want := range map[string]rune{
		"a,b,c\n":                  ',',
		"a;b;c\n1,5;2,5;3\n":       ';',
		"a\tb\tc\n":                '\t',
		"a|b|c":                    '|',
		`"x;y",b,c` + "\n":         ',',
		"single\n":                 ',',
		"a;b\n,,,,,,,,,,,,,,,,,\n": ';',
	} {
		if got := sniffDelimiter([]byte(head)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q; want %q", head, got, want)
		}
	}
}
