package webtest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// HostileCase is one row of the hostile-input catalogue
// (testdata/hostile/*.tsv, described in testdata/hostile/README.md): a
// request and the answer it must get.
type HostileCase struct {
	// Where is the row's file and line, for failure messages.
	Where string
	// Name says what the row tries.
	Name string
	// Method, Target (path and query), Headers ("Name: value | …") and
	// Body (see HostileBody) make the request; Target, Headers and inline
	// bodies go through Expand first.
	Method, Target, Headers, Body string
	// Status is the status the answer must have.
	Status int
	// Field is the problem's field, "" when it must have none; Detail a
	// substring its detail must contain ("" for any).
	Field, Detail string
}

// LoadHostile reads the catalogue file at path: tab-separated columns
// name, method, target, headers, body, status, field, detail; "-" is an
// empty column, and blank lines and lines starting with # are skipped.
// Errors name the line.
func LoadHostile(path string) ([]HostileCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []HostileCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 8 {
			return nil, fmt.Errorf("%s:%d: %d columns; want 8 (name, method, target, headers, body, status, field, detail)", path, n, len(cols))
		}
		for i, c := range cols {
			if c == "-" {
				cols[i] = ""
			}
		}
		status, err := strconv.Atoi(cols[5])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: status %q: %v", path, n, cols[5], err)
		}
		out = append(out, HostileCase{Where: fmt.Sprintf("%s:%d", filepath.Base(path), n), Name: cols[0], Method: cols[1], Target: cols[2],
			Headers: cols[3], Body: cols[4], Status: status, Field: cols[6], Detail: cols[7]})
	}
	return out, sc.Err()
}

// placeholder matches {name} and {name:args} in a catalogue column.
var placeholder = regexp.MustCompile(`\{([a-z0-9_-]+)(?::([^{}]*))?\}`)

// Expand replaces the placeholders of s: {repeat:N:text} is text N times,
// {x:HEX} the bytes HEX stands for (invalid UTF-8, NUL), {params:N} N
// distinct query parameters p0=1&p1=1…, and {name} or {name:arg} the
// value vars holds under "name" or "name:arg" (a token's secret, a
// cursor). An unknown placeholder is an error.
func Expand(s string, vars map[string]string) (string, error) {
	var err error
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		name, args := sub[1], sub[2]
		switch name {
		case "repeat":
			n, text, _ := strings.Cut(args, ":")
			k, e := strconv.Atoi(n)
			if e != nil || k < 0 {
				err = fmt.Errorf("%s: bad count", m)
				return ""
			}
			return strings.Repeat(text, k)
		case "x":
			b, e := hex.DecodeString(args)
			if e != nil {
				err = fmt.Errorf("%s: %v", m, e)
			}
			return string(b)
		case "params":
			k, e := strconv.Atoi(args)
			if e != nil {
				err = fmt.Errorf("%s: bad count", m)
				return ""
			}
			parts := make([]string, k)
			for i := range parts {
				parts[i] = fmt.Sprintf("p%d=1", i)
			}
			return strings.Join(parts, "&")
		}
		key := name
		if args != "" {
			key += ":" + args
		}
		v, ok := vars[key]
		if !ok {
			err = fmt.Errorf("%s: no such placeholder", m)
		}
		return v
	})
	return out, err
}

// HostileRequest builds the request of c against base (http://host:port),
// with the placeholders of vars expanded and the body read from dir
// (testdata/hostile).
func HostileRequest(c HostileCase, base, dir string, vars map[string]string) (*http.Request, error) {
	target, err := Expand(c.Target, vars)
	if err != nil {
		return nil, err
	}
	body, err := HostileBody(dir, c.Body, vars)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(c.Method, base+target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	headers, err := Expand(c.Headers, vars)
	if err != nil {
		return nil, err
	}
	for _, h := range strings.Split(headers, " | ") {
		if k, v, ok := strings.Cut(h, ":"); ok {
			req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return req, nil
}

// HostileBody returns the body a catalogue column asks for: nil for "",
// "=TEXT" the text (expanded), "@PATH" the file at dir/PATH (expanded when
// it ends in .tmpl; "@../bad/x.kml" reuses the importer catalogue), or a
// body generated here: "gen:nested-array:N" a GeoJSON feature whose
// property is N arrays deep, "gen:nested-object:N" N objects deep,
// "gen:many-properties:N" a feature with N properties,
// "gen:tour-stops:N" a tour of N stops, "gen:csv-line:N" a CSV whose one
// record is N MiB long, "gen:csv-rows:N" N MiB of valid CSV rows,
// "gen:zip-bomb" a KMZ whose doc.kml expands from about 300 KB to 300 MB
// ("gen:zip-bomb:N" from N KB to N MB), "gen:kml-text:N" a KML whose
// one name is N MiB of text, "gen:zip-slip" a zip whose entries climb out
// with ../.
func HostileBody(dir, spec string, vars map[string]string) ([]byte, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case spec == "":
		return nil, nil
	case strings.HasPrefix(spec, "="):
		s, err := Expand(spec[1:], vars)
		return []byte(s), err
	case strings.HasPrefix(spec, "@"):
		b, err := os.ReadFile(filepath.Join(dir, spec[1:]))
		if err != nil || !strings.HasSuffix(spec, ".tmpl") {
			return b, err
		}
		s, err := Expand(string(b), vars)
		return []byte(s), err
	case kind == "gen":
		what, n, _ := strings.Cut(arg, ":")
		k, _ := strconv.Atoi(n)
		switch what {
		case "nested-array":
			return []byte(`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,51]},"properties":{"deep":` + strings.Repeat("[", k) + strings.Repeat("]", k) + `}}`), nil
		case "nested-object":
			return []byte(`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,51]},"properties":{"deep":` + strings.Repeat(`{"a":`, k) + "1" + strings.Repeat("}", k) + `}}`), nil
		case "zip-bomb":
			return zipBomb(cmp.Or(k, 300))
		case "kml-text":
			return []byte(`<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>` + strings.Repeat("lol ", k<<20/4) + `</name></Document></kml>`), nil
		case "zip-slip":
			return zipOf(map[string][]byte{"doc.kml": []byte(`<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>`),
				"../../../../tmp/coopmap-zip-slip.kml": []byte(`<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>`)})
		case "csv-line":
			return []byte("id,name,lat,lon\nX1," + strings.Repeat("a", k<<20) + ",51.5,-0.1\n"), nil
		case "csv-rows":
			var b bytes.Buffer
			b.WriteString("id,name,lat,lon\n")
			for i := 0; b.Len() < k<<20; i++ {
				fmt.Fprintf(&b, "R%d,Co-op number %d,51.%06d,-0.%06d\n", i, i, i%1000000, i%1000000)
			}
			return b.Bytes(), nil
		case "tour-stops":
			stops := make([]map[string]string, k)
			for i := range stops {
				stops[i] = map[string]string{"feature_id": "coops.R0001"}
			}
			return json.Marshal(map[string]any{"id": "many-stops", "source_id": "bike-tours", "title": "Many stops", "stops": stops})
		case "many-properties":
			props := map[string]any{}
			for i := range k {
				props[fmt.Sprintf("p%d", i)] = i
			}
			return json.Marshal(map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{0, 51}}, "properties": props})
		}
	}
	return nil, fmt.Errorf("body %q: unknown", spec)
}

// zipBomb is a KMZ of about mb KB whose doc.kml is mb MB of text, written
// in chunks so that the test never holds it whole.
func zipBomb(mb int) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("doc.kml")
	if err != nil {
		return nil, err
	}
	chunk := []byte(strings.Repeat("lol ", 1<<14))
	fmt.Fprint(w, `<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>`)
	for range mb << 20 / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return nil, err
		}
	}
	fmt.Fprint(w, "</name></Document></kml>")
	err = zw.Close()
	return b.Bytes(), err
}

// zipOf is a zip archive of the files, deflated.
func zipOf(files map[string][]byte) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	err := zw.Close()
	return b.Bytes(), err
}

// CheckHostile compares an answer with the row: the status, and for a
// 4xx or 5xx a problem document (application/problem+json) whose status
// agrees and whose field and detail are the row's. Any 5xx fails, even
// one the row expects.
func CheckHostile(c HostileCase, status int, header http.Header, body []byte) error {
	if status >= 500 {
		return fmt.Errorf("status %d: a server error\n%.400s", status, body)
	}
	if status != c.Status {
		return fmt.Errorf("status %d; want %d\n%.400s", status, c.Status, body)
	}
	if status < 400 || status == http.StatusRequestHeaderFieldsTooLarge && header.Get("Content-Type") != "application/problem+json" {
		// net/http answers 431 itself, in plain text, before any handler.
		return nil
	}
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("Content-Type %q; want application/problem+json\n%.400s", ct, body)
	}
	var p struct {
		Status int    `json:"status"`
		Field  string `json:"field"`
		Detail string `json:"detail"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("the problem is not JSON: %v\n%.400s", err, body)
	}
	if p.Status != status {
		return fmt.Errorf("problem status %d; the answer's is %d", p.Status, status)
	}
	if p.Field != c.Field {
		return fmt.Errorf("field %q; want %q (detail %q)", p.Field, c.Field, p.Detail)
	}
	if !strings.Contains(p.Detail, c.Detail) || p.Detail == "" && p.Title == "" {
		return fmt.Errorf("detail %q; want it to say %q", p.Detail, c.Detail)
	}
	return nil
}
