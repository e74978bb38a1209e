package route

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/coopmap/coopmap"
)

// The graph file format, version 1. All numbers are little-endian.
//
//	magic    8 bytes  "COOPGRPH"
//	version  uint32   FileVersion
//	sections, in this order, each a uint64 count followed by that many
//	values: source (bytes), licence (bytes), attribution (bytes),
//	minCost (1 float64), lon, lat (int32), first (uint32), adj
//	(uint32), from, to (uint32), length, costF, costB, timeF, timeB
//	(float32), name (uint32), kinds (uint8), geomOff (uint32), glon,
//	glat (int32), names (count, then per name a uint32 length and its
//	bytes), forbidden (uint64)
//	checksum uint32   CRC-32C (Castagnoli) of every byte before it
//
// A file of another version is refused; rebuild it with "coopmap graph
// build".
const (
	FileMagic   = "COOPGRPH"
	FileVersion = 1
	// MaxFileSize bounds the graph files Load reads: 4 GiB.
	MaxFileSize = 4 << 30
)

// WriteTo writes the graph in the file format above. It returns the bytes
// written and the first write error.
func (g *Graph) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20), crc: crc32.New(crc32.MakeTable(crc32.Castagnoli))}
	cw.bytes([]byte(FileMagic))
	cw.u32(FileVersion)
	cw.str(g.Source)
	cw.str(Licence)
	cw.str(Attribution)
	cw.u64(1)
	cw.u64(math.Float64bits(g.minCost))
	for _, s := range [][]int32{g.lon, g.lat} {
		cw.i32s(s)
	}
	for _, s := range [][]uint32{g.first, g.adj, g.from, g.to} {
		cw.u32s(s)
	}
	for _, s := range [][]float32{g.length, g.costF, g.costB, g.timeF, g.timeB} {
		cw.u64(uint64(len(s)))
		for _, v := range s {
			cw.u32(math.Float32bits(v))
		}
	}
	cw.u32s(g.name)
	cw.u64(uint64(len(g.kinds)))
	for _, k := range g.kinds {
		cw.bytes([]byte{byte(k)})
	}
	cw.u32s(g.geomOff)
	cw.i32s(g.glon)
	cw.i32s(g.glat)
	cw.u64(uint64(len(g.names)))
	for _, n := range g.names {
		cw.u32(uint32(len(n)))
		cw.bytes([]byte(n))
	}
	cw.u64(uint64(len(g.forbidden)))
	for _, k := range g.forbidden {
		cw.u64(k)
	}
	sum := cw.crc.Sum32()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], sum)
	cw.bytes(b[:])
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   *bufio.Writer
	crc interface {
		io.Writer
		Sum32() uint32
	}
	n   int64
	err error
	buf [8]byte
}

func (c *countWriter) bytes(b []byte) {
	if c.err != nil {
		return
	}
	c.crc.Write(b)
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
}

func (c *countWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(c.buf[:4], v)
	c.bytes(c.buf[:4])
}

func (c *countWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(c.buf[:], v)
	c.bytes(c.buf[:])
}

func (c *countWriter) str(s string) {
	c.u64(uint64(len(s)))
	c.bytes([]byte(s))
}

func (c *countWriter) u32s(s []uint32) {
	c.u64(uint64(len(s)))
	for _, v := range s {
		c.u32(v)
	}
}

func (c *countWriter) i32s(s []int32) {
	c.u64(uint64(len(s)))
	for _, v := range s {
		c.u32(uint32(v))
	}
}

// LoadFile opens and loads a graph file; see Load. A missing file is an
// error wrapping fs.ErrNotExist.
func LoadFile(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Load reads a graph written by WriteTo, checks its version, checksum
// and internal consistency, and builds its spatial index. Its error is a
// coopmap error with CodeInvalid when the data is not a graph file of
// this version or is truncated or corrupt, CodeTooLarge beyond
// MaxFileSize, and otherwise the read error, wrapped.
func Load(r io.Reader) (*Graph, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading graph: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, coopmap.Errorf(coopmap.CodeTooLarge, "the graph file is larger than %d bytes", int64(MaxFileSize))
	}
	if len(data) < len(FileMagic)+8 || string(data[:len(FileMagic)]) != FileMagic {
		return nil, coopmap.Errorf(coopmap.CodeInvalid, "not a coopmap graph file (build one with: coopmap graph build EXTRACT.osm.pbf -o FILE.graph)")
	}
	if v := binary.LittleEndian.Uint32(data[len(FileMagic):]); v != FileVersion {
		return nil, coopmap.Errorf(coopmap.CodeInvalid, "graph file version %d; this coopmap reads version %d: rebuild it with coopmap graph build", v, FileVersion)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != sum {
		return nil, coopmap.Errorf(coopmap.CodeInvalid, "the graph file is truncated or corrupt (checksum mismatch)")
	}
	d := &decoder{b: body, i: len(FileMagic) + 4}
	g := &Graph{}
	g.Source = d.str()
	d.str() // licence and attribution: the constants of this version
	d.str()
	if n := d.count(8); n != 1 {
		d.fail()
	}
	g.minCost = math.Float64frombits(d.u64())
	g.lon, g.lat = d.i32s(), d.i32s()
	g.first, g.adj, g.from, g.to = d.u32s(), d.u32s(), d.u32s(), d.u32s()
	fs := make([][]float32, 5)
	for i := range fs {
		n := d.count(4)
		fs[i] = make([]float32, n)
		for j := range fs[i] {
			fs[i][j] = math.Float32frombits(d.u32())
		}
	}
	g.length, g.costF, g.costB, g.timeF, g.timeB = fs[0], fs[1], fs[2], fs[3], fs[4]
	g.name = d.u32s()
	n := d.count(1)
	g.kinds = make([]kind, n)
	for i := range g.kinds {
		g.kinds[i] = kind(d.b[d.i+i])
	}
	d.i += n
	g.geomOff, g.glon, g.glat = d.u32s(), d.i32s(), d.i32s()
	n = d.count(4)
	g.names = make([]string, n)
	for i := range g.names {
		l := int(d.u32())
		if d.err != nil || l > len(d.b)-d.i {
			d.fail()
			break
		}
		g.names[i] = string(d.b[d.i : d.i+l])
		d.i += l
	}
	n = d.count(8)
	g.forbidden = make([]uint64, n)
	for i := range g.forbidden {
		g.forbidden[i] = d.u64()
	}
	if d.err == nil && d.i != len(d.b) {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	g.finish()
	return g, nil
}

// decoder reads the sections; the first error sticks and every later
// read returns zero values.
type decoder struct {
	b   []byte
	i   int
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = coopmap.Errorf(coopmap.CodeInvalid, "malformed graph file near byte %d", d.i)
	}
	d.i = len(d.b)
}

// count reads a section's count and checks that many values of size
// bytes fit in what is left.
func (d *decoder) count(size int) int {
	if len(d.b)-d.i < 8 {
		d.fail()
		return 0
	}
	n := binary.LittleEndian.Uint64(d.b[d.i:])
	d.i += 8
	if n > uint64(len(d.b)-d.i)/uint64(size) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) u32() uint32 {
	if len(d.b)-d.i < 4 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.i:])
	d.i += 4
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b)-d.i < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.i:])
	d.i += 8
	return v
}

func (d *decoder) str() string {
	n := d.count(1)
	s := string(d.b[d.i : d.i+n])
	d.i += n
	return s
}

func (d *decoder) u32s() []uint32 {
	n := d.count(4)
	s := make([]uint32, n)
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(d.b[d.i+4*i:])
	}
	d.i += 4 * n
	return s
}

func (d *decoder) i32s() []int32 {
	n := d.count(4)
	s := make([]int32, n)
	for i := range s {
		s[i] = int32(binary.LittleEndian.Uint32(d.b[d.i+4*i:]))
	}
	d.i += 4 * n
	return s
}
