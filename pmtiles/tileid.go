package pmtiles

// MaxZoom is the highest zoom a TileID can address: the ids of zoom 31
// are the last that fit in 64 bits.
const MaxZoom = 31

// TileID returns the PMTiles tile id of tile z/x/y (XYZ scheme, y from the
// north): the number of tiles of all lower zooms, plus the tile's position
// on the Hilbert curve that fills zoom z. Ids grow zoom by zoom, and tiles
// near each other on the map get ids near each other. z must be at most
// MaxZoom and x and y less than 2^z (Writer.Add checks); other values give
// a meaningless id.
func TileID(z uint8, x, y uint32) uint64 {
	base := (uint64(1)<<(2*uint64(z)) - 1) / 3
	n := uint64(1) << z
	tx, ty := uint64(x), uint64(y)
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if tx&s != 0 {
			rx = 1
		}
		if ty&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		tx, ty = rotate(n, tx, ty, rx, ry)
	}
	return base + d
}

// TileZXY is the inverse of TileID.
func TileZXY(id uint64) (z uint8, x, y uint32) {
	var base uint64
	for z = 0; z < MaxZoom; z++ {
		count := uint64(1) << (2 * uint64(z))
		if id < base+count {
			break
		}
		base += count
	}
	n := uint64(1) << z
	t := id - base
	var tx, ty uint64
	for s := uint64(1); s < n; s *= 2 {
		rx := 1 & (t / 2)
		ry := 1 & (t ^ rx)
		tx, ty = rotate(s, tx, ty, rx, ry)
		tx += s * rx
		ty += s * ry
		t /= 4
	}
	return z, uint32(tx), uint32(ty)
}

// rotate turns a quadrant of side n so the curve's sub-curves join up.
func rotate(n, x, y, rx, ry uint64) (uint64, uint64) {
	if ry == 0 {
		if rx == 1 {
			x, y = n-1-x, n-1-y
		}
		x, y = y, x
	}
	return x, y
}
