// Command gen converts the Ordnance Survey postcode-unit cache that
// Digital Commons published (os_postcode_cache.json: a JSON object from
// postcode-unit URI to ["lat", "lng"], or 0 where OS had no match) into
// the compact table the postcodes package embeds: a gzip'd CSV of
// "postcode,lat,lng" lines, sorted by postcode, keeping only units with
// coordinates and a well-formed postcode. The output is byte-for-byte
// reproducible.
//
//	go run ./postcodes/internal/gen -in os_postcode_cache.json -out postcodes/data/postcodes.csv.gz
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const uriPrefix = "http://data.ordnancesurvey.co.uk/id/postcodeunit/"

var unitRE = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$`)

func main() {
	in := flag.String("in", "", "os_postcode_cache.json to read")
	out := flag.String("out", "postcodes/data/postcodes.csv.gz", "gzip'd CSV to write")
	flag.Parse()
	if err := convert(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func convert(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var cache map[string]json.RawMessage
	if err := json.Unmarshal(b, &cache); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	type unit struct{ pc, lat, lng string }
	var units []unit
	skipped := 0
	for uri, raw := range cache {
		pc, ok := strings.CutPrefix(uri, uriPrefix)
		var ll []string
		if !ok || !unitRE.MatchString(pc) || json.Unmarshal(raw, &ll) != nil || len(ll) != 2 || !valid(ll[0], 90) || !valid(ll[1], 180) {
			skipped++
			continue
		}
		units = append(units, unit{pc, ll[0], ll[1]})
	}
	slices.SortFunc(units, func(a, b unit) int { return strings.Compare(a.pc, b.pc) })

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(zw)
	fmt.Fprintln(w, "postcode,lat,lng")
	for _, u := range units {
		fmt.Fprintf(w, "%s,%s,%s\n", u.pc, u.lat, u.lng)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %d postcode units written to %s; %d entries without coordinates or with malformed postcodes left out\n", len(units), out, skipped)
	return f.Close()
}

// valid reports whether s is a plain decimal number within ±lim.
func valid(s string, lim float64) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789.-", r) }) {
		return false
	}
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsNaN(v) && math.Abs(v) <= lim
}
