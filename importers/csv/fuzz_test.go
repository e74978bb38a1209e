package csv

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

// FuzzParse checks that no input makes the parser panic or hang, that a
// failure is a coopmap error, and that every feature has a geometry and a
// where naming its line. (Ranges are the engine's to check, with
// Feature.Validate.)
func FuzzParse(f *testing.F) {
	for _, name := range []string{"coops-uk-sample.csv", "semicolon-cp1252.csv", "bom.csv", "wkt.csv", "numbers.csv", "quoted-newlines.csv", "ragged.csv"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
	}
	for _, s := range []string{
		"wkt\nGEOMETRYCOLLECTION(POINT(1 2),LINESTRING(1 2,3 4))\n",
		"\xff\xfeid\x00",
		"id,name,lat,lon\nS1,Swapped,-0.0553,51.5450\nS2,\"open quote,1,2\n",
		"id;lat;lon\n1;51,5;-0,1\n2;0x1p3;1e999\n",
		"\xef\xbb\xbfpostcode,name\nN22 6BH,x\n",
	} {
		f.Add([]byte(s))
	}
	p, err := New(Options{}, table(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := &recorder{}
		err := p(context.Background(), strings.NewReader(string(b)), "fuzz.csv", rec)
		if err != nil && coopmap.ErrorCode(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		for i, fe := range rec.features {
			if fe.Geometry == nil || !strings.HasPrefix(rec.wheres[i], "fuzz.csv:") {
				t.Fatalf("feature without geometry or where: %+v at %q", fe, rec.wheres[i])
			}
		}
	})
}
