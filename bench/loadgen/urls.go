package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// urlsCommand prints a mixed list of requests built from the data a
// running server holds: the co-ops of collection -collection (read
// through the OGC API) give the tiles, bboxes, search words, record pages
// and items; -route-bbox gives the points of /route requests (the demo
// graph's extent by default; -route-share 0 leaves routes out).
func urlsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("urls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "http://127.0.0.1:8080", "server base URL")
	n := fs.Int("n", 2000, "how many URLs")
	coll := fs.String("collection", "coops-uk", "co-op collection to sample")
	sample := fs.Int("sample", 3000, "how many of its features to read")
	seed := fs.Uint64("seed", 1, "random seed")
	routeBBox := fs.String("route-bbox", "-0.1585,51.5978,-0.0949,51.6316", "lon,lat,lon,lat box /route points are drawn from (the demo extract's)")
	routeShare := fs.Float64("route-share", 0.05, "share of /route requests (0 leaves them out)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	feats, err := readFeatures(ctx, strings.TrimRight(*base, "/"), *coll, *sample)
	if err != nil {
		return err
	}
	if len(feats) == 0 {
		return fmt.Errorf("collection %s has no features", *coll)
	}
	var rb [4]float64
	if _, err := fmt.Sscanf(*routeBBox, "%g,%g,%g,%g", &rb[0], &rb[1], &rb[2], &rb[3]); err != nil {
		return fmt.Errorf("-route-bbox %q: %v", *routeBBox, err)
	}
	rng := rand.New(rand.NewPCG(*seed, 7))
	for range *n {
		f := feats[rng.IntN(len(feats))]
		class, path := pick(rng, *coll, f, rb, *routeShare)
		fmt.Fprintf(stdout, "%s %s\n", class, path)
	}
	return nil
}

// feature is what the URL list needs of a co-op.
type feature struct {
	ID       string
	Name     string
	Lon, Lat float64
}

// pick draws one request: tiles 35%, items 20%, record pages 20%,
// search and nearest 20%, routes the rest (routeShare, taken from items).
func pick(rng *rand.Rand, coll string, f feature, rb [4]float64, routeShare float64) (string, string) {
	p := rng.Float64()
	switch {
	case p < 0.35:
		z := 6 + rng.IntN(11) // 6..16
		x, y := tileOf(f.Lon, f.Lat, z)
		set := "default"
		if rng.IntN(3) == 0 {
			set = coll
		}
		return "tiles", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", set, z, x, y)
	case p < 0.55:
		return "pages", "/coops/" + url.PathEscape(f.ID)
	case p < 0.65:
		return "search", "/search?q=" + url.QueryEscape(searchWord(rng, f.Name))
	case p < 0.75:
		return "search", fmt.Sprintf("/nearest?lon=%.4f&lat=%.4f&n=10", f.Lon, f.Lat)
	case p < 1-routeShare:
		if rng.IntN(2) == 0 {
			return "items", "/collections/" + coll + "/items/" + url.PathEscape(f.ID)
		}
		d := 0.01 + rng.Float64()*0.1
		return "items", fmt.Sprintf("/collections/%s/items?bbox=%.4f,%.4f,%.4f,%.4f&limit=50", coll, f.Lon-d, f.Lat-d, f.Lon+d, f.Lat+d)
	}
	pt := func() string {
		return fmt.Sprintf("%.4f,%.4f", rb[0]+rng.Float64()*(rb[2]-rb[0]), rb[1]+rng.Float64()*(rb[3]-rb[1]))
	}
	return "routes", "/route?points=" + pt() + ";" + pt()
}

// searchWord is a word of name worth searching for (4 letters or more),
// or the whole name.
func searchWord(rng *rand.Rand, name string) string {
	var words []string
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(w) >= 4 {
			words = append(words, strings.ToLower(w))
		}
	}
	if len(words) == 0 {
		return name
	}
	return words[rng.IntN(len(words))]
}

// tileOf returns the web-mercator tile holding lon, lat at zoom z.
func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := max(-85.0511, min(85.0511, lat)) * math.Pi / 180 // web mercator's limits
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	clamp := func(v int) int { return max(0, min(int(n)-1, v)) }
	return clamp(x), clamp(y)
}

// readFeatures pages through /collections/{coll}/items until it has
// sample point features.
func readFeatures(ctx context.Context, base, coll string, sample int) ([]feature, error) {
	client := &http.Client{Timeout: time.Minute}
	next := base + "/collections/" + url.PathEscape(coll) + "/items?limit=1000"
	var out []feature
	for next != "" && len(out) < sample {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Features []struct {
				ID       string `json:"id"`
				Geometry struct {
					Type        string          `json:"type"`
					Coordinates json.RawMessage `json:"coordinates"`
				} `json:"geometry"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"features"`
			Links []struct {
				Href string `json:"href"`
				Rel  string `json:"rel"`
			} `json:"links"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", next, err)
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", next, res.Status)
		}
		for _, f := range page.Features {
			var c [2]float64
			if f.Geometry.Type != "Point" || json.Unmarshal(f.Geometry.Coordinates, &c) != nil {
				continue
			}
			out = append(out, feature{ID: f.ID, Name: f.Properties.Name, Lon: c[0], Lat: c[1]})
		}
		next = ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
	}
	return out, nil
}
