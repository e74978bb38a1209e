package search

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/coopmap/coopmap"
)

// Limits of a text search.
const (
	// MaxQuery bounds the query text, in bytes.
	MaxQuery = coopmap.MaxQueryText
	// MaxWords bounds the words of a query after folding.
	MaxWords = 8
	// DefaultLimit is the number of hits when Query.Limit is 0.
	DefaultLimit = 20
	// MaxLimit is the most hits one search returns.
	MaxLimit = 100
)

// Query is a text search.
type Query struct {
	// Text is what was typed: words matched against names, addresses,
	// postcodes, sectors and organisation types, ignoring case, accents
	// and punctuation, tolerating small typos, the last word possibly
	// unfinished. A postcode, district ("N22") or sector ("N22 6") also
	// yields a Place.
	Text string
	// Limit is the most hits to return: 0 means DefaultLimit; at most
	// MaxLimit.
	Limit int
	// Sources keeps hits from these sources only; empty means every
	// indexed source.
	Sources []string
}

// Hit is one record a search found.
type Hit struct {
	Record
	// Matched is the field that contributed most to the match.
	Matched Field
	// Score orders hits, higher first: about 1 for every word matching a
	// name exactly, less for prefixes, typos and lesser fields, plus a
	// bonus when the name is the query or starts with it.
	Score float64
}

// Result is the answer to a search: hits best first, the places the
// query names (at most one today), and the sources of the hits, by id, so
// their licences and attributions can go with them.
type Result struct {
	Hits    []Hit
	Places  []Place
	Sources []coopmap.Source
}

// Search finds the records that best match q, and the place q names if it
// is a postcode. Invalid input is a coopmap.CodeInvalid error naming "q",
// "limit" or "source"; a store that cannot be read gives its error (unless
// an earlier snapshot can answer; see Options.CheckEvery).
func (x *Index) Search(ctx context.Context, q Query) (Result, error) {
	words, folded, err := q.normalize()
	if err != nil {
		return Result{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	s, err := x.current(ctx)
	if err != nil {
		return Result{}, err
	}
	shards, err := s.pick(q.Sources)
	if err != nil {
		return Result{}, err
	}
	var full, partial []Hit
	for _, sh := range shards {
		f, p := sh.search(words, folded, q.Limit)
		full = append(full, f...)
		partial = append(partial, p...)
	}
	hits := full
	if len(hits) == 0 {
		// No record has every word: fall back to those with most of them.
		hits = partial
	}
	slices.SortFunc(hits, compareHits)
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	res := Result{Hits: hits, Sources: s.sourcesOf(len(hits), func(i int) string { return hits[i].SourceID })}
	if p, ok := x.Place(q.Text); ok {
		res.Places = []Place{p}
	}
	return res, nil
}

// normalize checks q and returns its distinct folded words and the whole
// folded text.
func (q Query) normalize() ([]string, string, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return nil, "", coopmap.Invalidf("limit", "must be between 1 and %d", MaxLimit)
	case len(q.Text) > MaxQuery:
		return nil, "", coopmap.Invalidf("q", "is %d bytes long; the limit is %d", len(q.Text), MaxQuery)
	case !utf8.ValidString(q.Text):
		return nil, "", coopmap.Invalidf("q", "is not valid UTF-8")
	}
	folded := coopmap.Fold(q.Text)
	if folded == "" {
		return nil, "", coopmap.Invalidf("q", "is required and must contain letters or digits")
	}
	var words []string
	for _, w := range strings.Fields(folded) {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	if len(words) > MaxWords {
		return nil, "", coopmap.Invalidf("q", "has %d words; the limit is %d", len(words), MaxWords)
	}
	return words, folded, nil
}

// compareHits orders hits best first: by score, then shorter names (the
// closer match), then id, so equal queries give equal answers.
func compareHits(a, b Hit) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(len(a.Name), len(b.Name)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// acc gathers, for one record, the best match of each query word.
type acc struct {
	best  [MaxWords]float32
	field [MaxWords]field
	mask  uint16
	doc   int32
}

// scratch is the per-search working memory of a shard, pooled so a search
// over thousands of matches allocates little: slot maps a record to its
// acc (plus one; zero means none) and is all zeros between searches.
type scratch struct {
	slot []int32
	accs []acc
	full []scored
	part []scored
	// counts, touched and ids serve textIndex.match: shared trigrams
	// per term (all zeros between uses), the terms counted, and those
	// that shared enough.
	counts  []uint8
	touched []int32
	ids     []int32
	// runes and rows serve editDistance.
	runes []rune
	rows  []int
}

// scored is a record with its score, before it becomes a Hit.
type scored struct {
	score float64
	acc   int32
}

// Name bonuses: the name is the query, or starts with it.
const (
	bonusExactName  = 0.5
	bonusNamePrefix = 0.2
)

// search returns the shard's best hits (at most limit of each) that match
// every word (full) and, when none does, those matching more than half of
// them (partial).
func (sh *shard) search(words []string, folded string, limit int) (full, partial []Hit) {
	sc, _ := sh.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{slot: make([]int32, len(sh.recs))}
	}
	defer func() {
		for _, a := range sc.accs {
			sc.slot[a.doc] = 0
		}
		sc.accs, sc.full, sc.part = sc.accs[:0], sc.full[:0], sc.part[:0]
		sh.pool.Put(sc)
	}()
	for i, w := range words {
		for _, m := range sh.text.match(w, i > 0 && i == len(words)-1, sc) {
			for _, p := range sh.text.postings[m.term] {
				j := sc.slot[p.doc] - 1
				if j < 0 {
					j = int32(len(sc.accs))
					sc.slot[p.doc] = j + 1
					sc.accs = append(sc.accs, acc{doc: p.doc})
				}
				a := &sc.accs[j]
				if s := m.w * p.field.weight(); s > a.best[i] {
					a.best[i], a.field[i] = s, p.field
				}
				a.mask |= 1 << i
			}
		}
	}
	n := len(words)
	for j := range sc.accs {
		a := &sc.accs[j]
		covered := bits.OnesCount16(a.mask)
		if covered < n && (len(sc.full) > 0 || covered*2 <= n) {
			continue
		}
		c := scored{sh.score(a, n, folded), int32(j)}
		if covered == n {
			sc.full = append(sc.full, c)
		} else {
			sc.part = append(sc.part, c)
		}
	}
	if len(sc.full) > 0 {
		return sh.top(sc, sc.full, n, limit), nil
	}
	return nil, sh.top(sc, sc.part, n, limit)
}

// score scores a record from its accumulated word matches: the mean of
// the words' best matches, plus the name bonuses, rounded to 0.001.
func (sh *shard) score(a *acc, n int, folded string) float64 {
	var sum float64
	for i := 0; i < n; i++ {
		sum += float64(a.best[i])
	}
	score := sum / float64(n)
	switch name := sh.recs[a.doc].nameFold; {
	case name == folded:
		score += bonusExactName
	case strings.HasPrefix(name, folded):
		score += bonusNamePrefix
	}
	return math.Round(score*1000) / 1000
}

// hit makes the Hit for a scored record, naming the field whose matches
// counted most.
func (sh *shard) hit(sc *scratch, c scored, n int) Hit {
	a := &sc.accs[c.acc]
	var perField [numFields]float64
	for i := 0; i < n; i++ {
		perField[a.field[i]] += float64(a.best[i])
	}
	matched := fName
	for f := field(1); f < numFields; f++ {
		if perField[f] > perField[matched] {
			matched = f
		}
	}
	return Hit{Record: sh.recs[a.doc].Record, Matched: matched.Field(), Score: c.score}
}

// top returns the best limit of cs as hits, best first. It keeps a
// bounded heap rather than sorting every match, as a common word can
// match thousands of records.
func (sh *shard) top(sc *scratch, cs []scored, n, limit int) []Hit {
	// worse reports whether x ranks below y, as compareHits does.
	worse := func(x, y scored) bool {
		if x.score != y.score {
			return x.score < y.score
		}
		rx, ry := &sh.recs[sc.accs[x.acc].doc], &sh.recs[sc.accs[y.acc].doc]
		if len(rx.Name) != len(ry.Name) {
			return len(rx.Name) > len(ry.Name)
		}
		return rx.ID > ry.ID
	}
	// h is a min-heap on rank: the worst kept candidate at h[0].
	h := make([]scored, 0, min(limit, len(cs)))
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && worse(h[r], h[l]) {
				l = r
			}
			if !worse(h[l], h[i]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for _, c := range cs {
		switch {
		case len(h) < limit:
			h = append(h, c)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !worse(h[i], h[p]) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
		case worse(h[0], c):
			h[0] = c
			down(0)
		}
	}
	slices.SortFunc(h, func(x, y scored) int {
		switch {
		case worse(y, x):
			return -1
		case worse(x, y):
			return 1
		}
		return 0
	})
	out := make([]Hit, len(h))
	for i, c := range h {
		out[i] = sh.hit(sc, c, n)
	}
	return out
}
