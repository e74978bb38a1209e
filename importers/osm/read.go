package osm

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// Node is an OSM node as Read decodes it.
type Node struct {
	ID int64
	// Lon and Lat are rounded to OSM's precision of 1e-7 degrees, so a
	// node read from XML text and from PBF integers has the same float64.
	Lon, Lat float64
	// Tags is nil for an untagged node. The map is the handler's to keep.
	Tags map[string]string
	// Bad, when set, says why the node's position is unusable (not a
	// number, or not a longitude and latitude).
	Bad string
}

// Way is an OSM way as Read decodes it.
type Way struct {
	ID int64
	// Refs are the ids of the way's nodes in order. The slice is reused
	// for the next way: copy it to keep it.
	Refs []int64
	// Tags is nil for an untagged way. The map is the handler's to keep.
	Tags map[string]string
	// Bad, when set, says why the way is unusable (a node reference that
	// is not a number, more than geo.MaxVertices nodes); Refs is then
	// incomplete.
	Bad string
}

// Member is one member of a relation.
type Member struct {
	// Type is "node", "way" or "relation".
	Type string
	Ref  int64
	Role string
}

// Relation is an OSM relation as Read decodes it.
type Relation struct {
	ID int64
	// Members is reused for the next relation: copy it to keep it.
	Members []Member
	// Tags is nil for an untagged relation. The map is the handler's to
	// keep.
	Tags map[string]string
}

// Handler receives the objects Read decodes, in file order (OSM files
// list nodes, then ways, then relations). A nil function skips that kind
// of object, and Read then spends less time decoding it. An error from a
// function stops Read, which returns it unchanged.
type Handler struct {
	Node     func(Node) error
	Way      func(Way) error
	Relation func(Relation) error
	// Problem, if set, hears of tagged objects Read cannot identify (an
	// id that is not a number); where is like "node near line 12".
	Problem func(where, what string)
}

// Read streams the nodes, ways and relations of OSM XML, bzip2- or
// gzip-compressed OSM XML, or OSM PBF from r to h, under the limits and
// checks the package documentation describes. Objects deleted in the file
// (visible="false", action="delete") are left out. Only one PBF block, or
// one XML object, is in memory at a time.
//
// Read's error is a coopmap error with CodeInvalid when the stream is not
// OSM XML or PBF, is malformed (including when it ends early), uses an
// unsupported encoding, compression or required PBF feature, or has a
// DOCTYPE declaring entities, and CodeTooLarge when it breaks MaxDepth,
// MaxTokenSize or the PBF block bounds; ctx.Err() when ctx ends; the
// error of a handler function unchanged; otherwise the read error,
// wrapped.
func Read(ctx context.Context, r io.Reader, h Handler) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	in, kind, err := sniff(r)
	if err != nil {
		return err
	}
	rd := &reader{ctx: ctx, h: h}
	if kind == "pbf" {
		return rd.pbf(in)
	}
	return rd.xml(in)
}

// reader is the state of one Read.
type reader struct {
	ctx     context.Context
	h       Handler
	refs    []int64  // reused for each way
	members []Member // reused for each relation
	seen    int      // objects read, for checking ctx now and then
}

// tick checks ctx every few thousand objects.
func (rd *reader) tick() error {
	rd.seen++
	if rd.seen%4096 == 0 {
		return rd.ctx.Err()
	}
	return nil
}

// node checks and rounds a node's position and hands it on.
func (rd *reader) node(n Node) error {
	if rd.h.Node == nil {
		return nil
	}
	if n.Bad == "" && (math.IsNaN(n.Lon) || math.IsNaN(n.Lat) || math.Abs(n.Lon) > 180 || math.Abs(n.Lat) > 90) {
		n.Bad = fmt.Sprintf("position %g, %g is not a longitude and latitude", n.Lon, n.Lat)
	}
	n.Lon, n.Lat = math.Round(n.Lon*1e7)/1e7, math.Round(n.Lat*1e7)/1e7
	return rd.h.Node(n)
}

// problem reports an object that cannot be identified.
func (rd *reader) problem(where, what string) {
	if rd.h.Problem != nil {
		rd.h.Problem(where, what)
	}
}

// Positions keeps node positions for way geometry: 16 bytes a node, in
// OSM's 1e-7 degree units, sorted by id for binary search. Files list
// nodes in id order, so appending keeps it sorted; it is sorted once when
// they do not. The zero value holds no positions and refuses none; set
// Max to bound it.
type Positions struct {
	// Max bounds how many positions Add keeps; 0 means no bound.
	Max    int
	ns     []nodePos
	sorted bool
}

type nodePos struct {
	id       int64
	lon, lat int32
}

// Add keeps a node's position. Its error is a coopmap error with
// CodeTooLarge once Max positions are kept.
func (s *Positions) Add(id int64, lon, lat float64) error {
	if s.Max > 0 && len(s.ns) >= s.Max {
		return coopmap.Errorf(coopmap.CodeTooLarge, "the file has more than %d nodes, the most kept for way geometry; use a smaller extract", s.Max)
	}
	if len(s.ns) == 0 {
		s.sorted = true
	} else if id <= s.ns[len(s.ns)-1].id {
		s.sorted = false
	}
	s.ns = append(s.ns, nodePos{id, int32(math.Round(lon * 1e7)), int32(math.Round(lat * 1e7))})
	return nil
}

// Len is the number of positions kept.
func (s *Positions) Len() int { return len(s.ns) }

// Find returns the position of the node with the id, and whether it was
// added; of several versions of a node the last added wins.
func (s *Positions) Find(id int64) (orb.Point, bool) {
	lon, lat, ok := s.FindE7(id)
	return orb.Point{float64(lon) / 1e7, float64(lat) / 1e7}, ok
}

// FindE7 is Find in OSM's units of 1e-7 degrees.
func (s *Positions) FindE7(id int64) (lon, lat int32, ok bool) {
	if !s.sorted {
		slices.SortStableFunc(s.ns, func(a, b nodePos) int { return cmpInt(a.id, b.id) })
		s.sorted = true
	}
	i, ok := slices.BinarySearchFunc(s.ns, id, func(n nodePos, id int64) int { return cmpInt(n.id, id) })
	if !ok {
		return 0, 0, false
	}
	for i+1 < len(s.ns) && s.ns[i+1].id == id {
		i++
	}
	return s.ns[i].lon, s.ns[i].lat, true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
