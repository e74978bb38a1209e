package osm

import (
	"fmt"
	"strings"

	"github.com/coopmap/coopmap"
)

// MaxFilterTerms bounds the terms of a filter ParseFilter accepts.
const MaxFilterTerms = 100

// ParseFilter turns a filter written as on the command line
// ("amenity=bicycle_parking,shop=bicycle") into an Options.Filter. The
// spec is a comma-separated list of terms; an object is kept when any
// term matches one of its tags:
//
//	key=value   the tag has exactly this value
//	key=*       the tag is present with any value but "no"
//
// Unlike DefaultFilter it needs no name tag, and keeps nodes and ways
// alike (a closed way becomes a polygon or a closed line as Parse says,
// an open way a line). The error is coopmap.CodeInvalid with the field
// "osm-filter" for an empty spec, a term without "=" or with an empty
// key or value, or more than MaxFilterTerms terms.
func ParseFilter(spec string) (func(Object) bool, error) {
	terms := strings.Split(spec, ",")
	if strings.TrimSpace(spec) == "" {
		return nil, coopmap.Invalidf("osm-filter", "is empty: give key=value terms separated by commas, such as amenity=bicycle_parking,shop=bicycle")
	}
	if len(terms) > MaxFilterTerms {
		return nil, coopmap.Invalidf("osm-filter", "has %d terms; the limit is %d", len(terms), MaxFilterTerms)
	}
	want := make(map[string][]string, len(terms)) // key → values; "*" for any
	for _, t := range terms {
		k, v, ok := strings.Cut(t, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, coopmap.Invalidf("osm-filter", "term %q: want key=value or key=*", clipTerm(t))
		}
		want[k] = append(want[k], v)
	}
	return func(o Object) bool {
		for k, vs := range want {
			got, ok := o.Tags[k]
			if !ok {
				continue
			}
			for _, v := range vs {
				if v == got || v == "*" && got != "no" && got != "" {
					return true
				}
			}
		}
		return false
	}, nil
}

func clipTerm(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%.60s…", s)
	}
	return s
}
