package tiles

import "github.com/coopmap/coopmap"

// Indexed reports whether the layer's source has a ready, usable cluster
// index (or starts building one).
func Indexed(r *Renderer, l coopmap.TileLayer) bool { return r.lookup(l) != nil }
