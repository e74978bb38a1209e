package route_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/route"
)

// FuzzLoad checks that no graph file, however corrupt, makes Load panic,
// and that a graph it accepts can be routed on without panicking.
func FuzzLoad(f *testing.F) {
	in, err := os.Open("../testdata/route/restrictions.osm")
	if err != nil {
		f.Fatal(err)
	}
	g, _, err := route.Build(context.Background(), in, route.BuildOptions{})
	in.Close()
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(route.FileMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		// With a correct checksum, so that the fuzzer gets past it to the
		// decoder and the consistency checks (TestFile checks the sum).
		if len(b) > 4 {
			b = bytes.Clone(b)
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crc32.MakeTable(crc32.Castagnoli)))
		}
		g, err := route.Load(bytes.NewReader(b))
		if err != nil {
			return
		}
		_, _ = g.Plan(context.Background(), []orb.Point{{0, 51.5985}, {0.0025, 51.6}, {0.01, 51.6}}, route.Options{Optimize: true})
	})
}
