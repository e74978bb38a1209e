// Package searchbench holds the records and queries of the search
// benchmarks, shared by package search's index benchmark and
// cmd/coopmap's end-to-end benchmark over HTTP and both stores, so both
// measure the same thing. See the Search section of docs/PERFORMANCE.md.
//
// The records are the 7,097 placeable co-ops of the Co-operatives UK Q2
// 2023 open data (demo/coops-uk-Q2-2023.csv, ODC-By 1.0), read with the
// real CSV importer, and 12,435 synthetic "sold council spaces", one at
// each unit of the shipped postcode table (postcodes/data, OGL v3), named
// from small word lists: 19,532 in all.
package searchbench

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	coopcsv "github.com/coopmap/coopmap/importers/csv"
	"github.com/coopmap/coopmap/postcodes"
)

// Source ids of the two benchmark sources.
const (
	CoopsSource = "coops-uk"
	SoldSource  = "sold-spaces"
)

// Queries returns what people type: whole names, unfinished names, names
// with typos, common words with thousands of matches, postcodes,
// districts, sectors and towns.
func Queries() []string {
	return []string{
		// Whole names.
		"Unicorn Grocery", "Pomona Solar Co-operative", "Greenwich Co-operative Development Agency",
		"Old Redcliffians Rugby Football Club", "Two Queens Leicester", "Bristol Bike Project",
		"Suma Wholefoods", "Rye Rugby Football Club", "The Honest Miller Community Group",
		// Unfinished.
		"avalonian hous", "honest mill", "camping and carav", "two que", "greenwich co-op", "bedford on c",
		"sheaf community bak", "royal british legion scot",
		// Typos.
		"avalonain housing", "glastonbry", "pomona soler", "unicron grocery", "greenwhich cooperative",
		"portslade royal britsh legion", "litherland remyca", "fakenam sports centre", "comercial photographers",
		"elmfeild social club", "barnby dunn social club", "madeley workng mens club",
		// Common words.
		"club", "limited", "housing co-op", "community energy", "credit union", "social club",
		"working mens club", "former library", "co", "br",
		// Postcodes, districts, sectors.
		"BS4 4JX", "ba6 8eh", "SE10 9QF", "cf349yy", "N22 5NJ", "RM3 0QB",
		"N22", "EC1V", "BS4", "M21", "SE10", "G1", "N22 5", "BS4 4",
		// Towns.
		"bristol", "glasgow", "manchester", "cardiff", "brighton and hove", "newcastle upon tyne",
	}
}

// CoopsUKPath and PostcodesPath are the data files, relative to the
// module root.
const (
	CoopsUKPath   = "demo/coops-uk-Q2-2023.csv"
	PostcodesPath = "postcodes/data/postcodes.csv.gz"
)

// CoopsUK reads the co-ops from the Co-operatives UK file under root (the
// module root) with the CSV importer, placing rows without coordinates
// with tab, as an import would.
func CoopsUK(root string, tab *postcodes.Table) ([]coopmap.Feature, error) {
	parse, err := coopcsv.New(coopcsv.Options{}, tab)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, CoopsUKPath))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	col := &collector{}
	if err := parse(context.Background(), f, filepath.Base(CoopsUKPath), col); err != nil {
		return nil, err
	}
	for i := range col.fs {
		col.fs[i].ID = coopmap.FeatureID(CoopsSource, col.fs[i].ID)
		col.fs[i].SourceID = CoopsSource
	}
	return col.fs, nil
}

// collector is an importers.Emitter that keeps every feature.
type collector struct{ fs []coopmap.Feature }

func (c *collector) Feature(f coopmap.Feature, _ string) error { c.fs = append(c.fs, f); return nil }
func (c *collector) Problem(string, string)                    {}

// SoldSpaces makes one synthetic public building sold off at each unit of
// the postcode table under root (the module root), the same every time.
func SoldSpaces(root string) ([]coopmap.Feature, error) {
	f, err := os.Open(filepath.Join(root, PostcodesPath))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	kinds := []struct{ name, sector string }{
		{"Library", "Libraries"}, {"Youth Centre", "Youth services"}, {"Community Hall", "Community centres"},
		{"Swimming Baths", "Leisure"}, {"Public Toilets", "Public conveniences"}, {"Day Centre", "Social care"},
		{"Allotments", "Green space"}, {"Playing Fields", "Green space"}, {"Fire Station", "Emergency services"},
		{"Police Station", "Emergency services"}, {"Town Hall", "Civic buildings"}, {"Market Hall", "Markets"},
	}
	streets := []string{"High", "Church", "Station", "Mill", "Park", "Victoria", "Queen", "King", "Market", "North", "South", "Chapel", "School", "Green", "Albert"}
	ways := []string{"Street", "Road", "Lane", "Avenue", "Way", "Place"}
	r := rand.New(rand.NewPCG(12, 0))
	var out []coopmap.Feature
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		pc, rest, _ := strings.Cut(sc.Text(), ",")
		latS, lonS, _ := strings.Cut(rest, ",")
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if err1 != nil || err2 != nil {
			continue // the header
		}
		k := kinds[r.IntN(len(kinds))]
		street := streets[r.IntN(len(streets))]
		out = append(out, coopmap.Feature{
			ID:       coopmap.FeatureID(SoldSource, pc),
			SourceID: SoldSource,
			Name:     fmt.Sprintf("Former %s, %s %s", k.name, street, ways[r.IntN(len(ways))]),
			Sector:   k.sector,
			OrgType:  "Local authority",
			Address:  fmt.Sprintf("%d %s %s", 1+r.IntN(200), street, ways[r.IntN(len(ways))]),
			Postcode: postcodes.Normalize(pc),
			Geometry: orb.Point{lon, lat}, Precision: coopmap.PrecisionPostcode,
		})
	}
	return out, sc.Err()
}

// WriteCSV writes point features as a CSV the importer reads by its
// column names (id, name, sector, org_type, address, postcode, lon, lat),
// the id column holding the key after the source id.
func WriteCSV(w io.Writer, fs []coopmap.Feature) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "sector", "org_type", "address", "postcode", "lon", "lat"})
	for _, f := range fs {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			return fmt.Errorf("searchbench: %s is not a point", f.ID)
		}
		key := strings.TrimPrefix(f.ID, f.SourceID+".")
		_ = cw.Write([]string{key, f.Name, f.Sector, f.OrgType, f.Address, f.Postcode,
			strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// Percentiles returns the 50th, 95th and 99th percentiles and the maximum
// of ds, in milliseconds, sorting ds.
func Percentiles(ds []time.Duration) (p50, p95, p99, max float64) {
	if len(ds) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(p float64) float64 { return ms(ds[min(len(ds)-1, int(p*float64(len(ds))))]) }
	return at(0.50), at(0.95), at(0.99), ms(ds[len(ds)-1])
}

// Report reports ds's percentiles as benchmark metrics (p50-ms, p95-ms,
// p99-ms, max-ms).
func Report(b interface{ ReportMetric(float64, string) }, ds []time.Duration) {
	p50, p95, p99, max := Percentiles(ds)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(max, "max-ms")
}
