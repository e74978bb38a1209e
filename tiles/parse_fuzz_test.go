package tiles

import (
	"testing"

	"github.com/coopmap/coopmap"
)

// FuzzParse checks the tile coordinates of /tiles/{c}/{z}/{x}/{y}.mvt:
// no input panics, a refusal is an invalid error naming z, x or y, and an
// accepted tile exists at its zoom, which is at most maxZoom.
func FuzzParse(f *testing.F) {
	for _, s := range [][3]string{{"0", "0", "0"}, {"14", "8185", "5448"}, {"16", "65535", "65535"}, {"2", "4", "0"}, {"25", "0", "0"},
		{"9999999999", "0", "0"}, {"3", "0x1", "0"}, {"1", "+1", "0"}, {"1", "-1", "0"}, {"", "", ""}, {"٣", "0", "0"}} {
		f.Add(s[0], s[1], s[2])
	}
	const maxZoom = 16
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := Parse(z, x, y, maxZoom)
		if err != nil {
			if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) == "" {
				t.Fatalf("%q/%q/%q: %v is not an invalid error naming the coordinate", z, x, y, err)
			}
			return
		}
		if tile.Z < 0 || tile.Z > maxZoom || tile.X < 0 || tile.Y < 0 || tile.X >= 1<<tile.Z || tile.Y >= 1<<tile.Z {
			t.Fatalf("%q/%q/%q: accepted %+v", z, x, y, tile)
		}
	})
}
