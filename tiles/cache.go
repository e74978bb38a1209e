package tiles

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Encoded is one rendered tile: its MVT bytes, its entity tag, and its
// gzip form, made once when first asked for.
type Encoded struct {
	// Raw is the uncompressed MVT (empty for an empty tile).
	Raw []byte
	// ETag is a strong entity tag for Raw, quoted; the gzip form's tag
	// adds "-gz" inside the quotes.
	ETag string

	gzOnce sync.Once
	gz     []byte
}

// NewEncoded wraps a rendered tile.
func NewEncoded(raw []byte) *Encoded {
	h := sha256.Sum256(raw)
	return &Encoded{Raw: raw, ETag: `"` + hex.EncodeToString(h[:12]) + `"`}
}

// Gzip returns the tile compressed with gzip, compressing it on the first
// call only.
func (e *Encoded) Gzip() []byte {
	e.gzOnce.Do(func() {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed) // a valid level never fails
		_, _ = w.Write(e.Raw)                           // writes to a bytes.Buffer do not fail
		_ = w.Close()
		e.gz = b.Bytes()
	})
	return e.gz
}

// GzipETag is the entity tag of the gzip form.
func (e *Encoded) GzipETag() string { return strings.TrimSuffix(e.ETag, `"`) + `-gz"` }

// cost is what an entry counts against the budget: both forms, at most.
func (e *Encoded) cost(key string) int64 { return int64(2*len(e.Raw) + len(key) + 256) }

// Cache is an in-memory LRU cache of rendered tiles with a byte budget. It
// is safe for concurrent use. Keys name a tile set's content version (see
// Key), so a new version of a collection simply stops hitting its old
// entries, which age out, and other collections' entries stay.
type Cache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	ll     *list.List // front: most recently used
	m      map[string]*list.Element
	// hits, misses and evictions count since NewCache, for CacheUsage.
	hits, misses, evictions atomic.Int64
}

type cacheItem struct {
	key  string
	e    *Encoded
	cost int64
}

// NewCache returns a cache holding at most budget bytes of tiles (counted
// as twice the raw size, room for the gzip form). A budget of 0 or less
// disables it: Get always misses and Add keeps nothing.
func NewCache(budget int64) *Cache {
	return &Cache{budget: budget, ll: list.New(), m: map[string]*list.Element{}}
}

// Key returns the cache key of tile t of a tile set: its name and the
// versions of the sources it is made from, in order.
func Key(set string, versions []int64, t Tile) string {
	var b strings.Builder
	b.WriteString(set)
	for _, v := range versions {
		b.WriteByte('@')
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte('/')
	b.WriteString(t.String())
	return b.String()
}

// Get returns the cached tile for key, marking it recently used.
func (c *Cache) Get(key string) (*Encoded, bool) {
	if c.budget <= 0 {
		c.misses.Add(1)
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	c.ll.MoveToFront(el)
	return el.Value.(*cacheItem).e, true
}

// Add stores e under key, evicting the least recently used tiles to stay
// within the budget. A tile larger than the whole budget is not kept.
func (c *Cache) Add(key string, e *Encoded) {
	cost := e.cost(key)
	if c.budget <= 0 || cost > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		it := el.Value.(*cacheItem)
		c.used += cost - it.cost
		it.e, it.cost = e, cost
		c.ll.MoveToFront(el)
	} else {
		c.m[key] = c.ll.PushFront(&cacheItem{key, e, cost})
		c.used += cost
	}
	for c.used > c.budget {
		el := c.ll.Back()
		it := el.Value.(*cacheItem)
		c.ll.Remove(el)
		delete(c.m, it.key)
		c.used -= it.cost
		c.evictions.Add(1)
	}
}

// Stats returns the number of cached tiles and the bytes they count.
func (c *Cache) Stats() (n int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.used
}

// CacheUsage is a snapshot of a Cache's size and counters, for metrics.
type CacheUsage struct {
	// Entries and Bytes are the tiles held now and the bytes they count.
	Entries int
	Bytes   int64
	// Budget is the byte budget (0 or less: the cache is off).
	Budget int64
	// Hits, Misses and Evictions count Get hits and misses and tiles
	// evicted for room since the cache was made.
	Hits, Misses, Evictions int64
}

// Usage returns the cache's size and counters.
func (c *Cache) Usage() CacheUsage {
	n, b := c.Stats()
	return CacheUsage{Entries: n, Bytes: b, Budget: c.budget,
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
}
