package search

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// posting says that a term occurs in a field of a record.
type posting struct {
	doc   int32
	field field
}

// textIndex is the inverted index of one source: its vocabulary, where
// each term occurs, the vocabulary in lexical order for prefix look-ups,
// and the trigrams of every term for typo-tolerant look-ups.
type textIndex struct {
	terms    map[string]int32
	vocab    []string    // term id → term
	postings [][]posting // term id → (record, field), no repeats
	lexical  []int32     // term ids sorted by term
	grams    map[uint32][]int32
}

func newTextIndex() *textIndex {
	return &textIndex{terms: map[string]int32{}, grams: map[uint32][]int32{}}
}

// add indexes the fields of record doc.
func (x *textIndex) add(doc int32, r *record) {
	for f := field(0); f < numFields; f++ {
		for _, t := range tokens(r.value(f), f) {
			id, ok := x.terms[t]
			if !ok {
				id = int32(len(x.vocab))
				x.terms[t] = id
				x.vocab = append(x.vocab, t)
				x.postings = append(x.postings, nil)
			}
			x.postings[id] = append(x.postings[id], posting{doc, f})
		}
	}
}

// finish builds the lexical order and the trigram index once every record
// is added.
func (x *textIndex) finish() {
	x.lexical = make([]int32, len(x.vocab))
	for i := range x.lexical {
		x.lexical[i] = int32(i)
	}
	slices.SortFunc(x.lexical, func(a, b int32) int { return strings.Compare(x.vocab[a], x.vocab[b]) })
	for id, t := range x.vocab {
		if !fuzzyCandidate(t) {
			continue
		}
		for _, g := range trigrams(t, true) {
			x.grams[g] = append(x.grams[g], int32(id))
		}
	}
}

// Weights of the ways a query word can match an indexed term; a match in
// a field is further scaled by field.weight.
const (
	wExact = 1.0
	// A prefix ("bris" for "bristol") scores between wPrefix and
	// wPrefix+wPrefixLen, more the more of the term it covers.
	wPrefix    = 0.75
	wPrefixLen = 0.2
	// Typos: the whole term within an edit distance of 1 or 2, or a
	// prefix of it within that distance (a misspelt word still being
	// typed).
	wTypo1       = 0.7
	wTypo2       = 0.55
	wTypoPrefix1 = 0.6
	wTypoPrefix2 = 0.45
	// maxExpansions bounds the indexed terms one query word may match by
	// prefix or typo, so a one- or two-letter word costs little.
	maxExpansions = 256
	// minTypoPrefix is the shortest word matched as a misspelt prefix: in
	// shorter ones three right letters say too little ("suma" is not
	// "huma…").
	minTypoPrefix = 5
	// maxTypingExpansions bounds the terms a one-character last word
	// ("bristol b") may match as a prefix.
	maxTypingExpansions = 4096
)

// termMatch is an indexed term a query word matched, with its weight.
type termMatch struct {
	term int32
	w    float32
}

// match returns the indexed terms word w matches: itself, terms it is a
// prefix of (for words of two or more characters), and, for words of four
// or more letters (no digits) that are not themselves indexed, terms
// within a small edit distance (maxEdits) of the word or of their own
// prefix. A word that is indexed is taken as spelt as meant: looking it
// up with typos would cost much and mostly add noise ("mens" → "men").
// A one-character word is matched as a prefix only when it ends a longer
// query (being typed: "bristol b", "bs4 4"), and then with a larger cap.
// sc provides working memory.
func (x *textIndex) match(w string, typing bool, sc *scratch) []termMatch {
	var out []termMatch
	id, exact := x.terms[w]
	if exact {
		out = append(out, termMatch{id, wExact})
	}
	n := utf8.RuneCountInString(w)
	if n >= 2 || typing {
		limit := maxExpansions
		if n < 2 {
			limit = maxTypingExpansions
		}
		i, _ := slices.BinarySearchFunc(x.lexical, w, func(id int32, w string) int { return strings.Compare(x.vocab[id], w) })
		for ; i < len(x.lexical) && len(out) < limit; i++ {
			t := x.vocab[x.lexical[i]]
			if !strings.HasPrefix(t, w) {
				break
			}
			if t == w {
				continue
			}
			out = append(out, termMatch{x.lexical[i], float32(wPrefix + wPrefixLen*float64(n)/float64(utf8.RuneCountInString(t)))})
		}
	}
	if exact || !fuzzyCandidate(w) {
		return out
	}
	k := maxEdits(n)
	qg := trigrams(w, false)
	// An edit spoils at most three trigrams, a swap of neighbours four.
	need := len(qg) - 4*k
	if need < 1 {
		need = 1
	}
	if !isASCII(w) {
		need = 1 // a multi-byte letter spoils more byte trigrams per edit
	}
	// Count shared trigrams per term in sc.counts (all zeros between
	// uses), remembering the terms that reach need.
	if len(sc.counts) < len(x.vocab) {
		sc.counts = make([]uint8, len(x.vocab))
	}
	ids := sc.ids[:0]
	touched := sc.touched[:0]
	for _, g := range qg {
		for _, id := range x.grams[g] {
			c := sc.counts[id]
			if c == 0 {
				touched = append(touched, id)
			}
			if c < 255 {
				c++
				sc.counts[id] = c
			}
			if int(c) == need {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range touched {
		sc.counts[id] = 0
	}
	sc.ids, sc.touched = ids, touched
	wr := []rune(w)
	slices.Sort(ids) // a deterministic order for the expansion cap
	for _, id := range ids {
		if len(out) >= maxExpansions {
			break
		}
		t := x.vocab[id]
		if t == w || strings.HasPrefix(t, w) {
			continue // already matched exactly or as a prefix
		}
		// Only the first len(w)+k letters of t can be within k edits of
		// w or hold a prefix that is; a longer t is no whole-word match.
		tr := sc.runes[:0]
		for _, r := range t {
			if len(tr) > len(wr)+k {
				break
			}
			tr = append(tr, r)
		}
		sc.runes = tr
		full, prefix := editDistance(wr, tr, k, &sc.rows)
		switch {
		case full == 1:
			out = append(out, termMatch{id, wTypo1})
		case full == 2 && k >= 2:
			out = append(out, termMatch{id, wTypo2})
		case n < minTypoPrefix:
		case prefix == 1:
			out = append(out, termMatch{id, wTypoPrefix1})
		case prefix == 2 && k >= 2:
			out = append(out, termMatch{id, wTypoPrefix2})
		}
	}
	return out
}

// maxEdits is the number of typos tolerated in a word of n letters: one
// from four letters, two from eight. Shorter words must match exactly or
// as a prefix: "bard" is not a typo of "bars".
func maxEdits(n int) int {
	switch {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

// fuzzyCandidate reports whether typo tolerance applies to t: four or more
// letters and no digits (postcodes and numbers must match as typed).
func fuzzyCandidate(t string) bool {
	n := 0
	for _, r := range t {
		if r >= '0' && r <= '9' {
			return false
		}
		n++
	}
	return n >= 4
}

// trigrams returns the distinct byte trigrams of t padded at its start
// with two zero bytes (and at its end with one, if end), packed in uint32s.
// Queries leave the end open so a misspelt prefix still shares trigrams
// with the whole term.
func trigrams(t string, end bool) []uint32 {
	b := make([]byte, 0, len(t)+3)
	b = append(b, 0, 0)
	b = append(b, t...)
	if end {
		b = append(b, 0)
	}
	out := make([]uint32, 0, len(b)-2)
	for i := 0; i+3 <= len(b); i++ {
		g := uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2])
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// editDistance returns the optimal-string-alignment distance (insertions,
// deletions, substitutions and swaps of adjacent letters each count one)
// from a to b, and from a to the closest prefix of b that is at least as
// long as a. Distances above k
// come back as k+1.
// rows is working memory, grown as needed.
func editDistance(a, b []rune, k int, rows *[]int) (full, prefix int) {
	n, m := len(a), len(b)
	if n-m > k {
		return k + 1, k + 1
	}
	// Three rows: two back for swaps.
	if cap(*rows) < 3*(m+1) {
		*rows = make([]int, 3*(m+1))
	}
	buf := (*rows)[:3*(m+1)]
	prev2, prev, cur := buf[:m+1], buf[m+1:2*(m+1)], buf[2*(m+1):]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= n; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= m; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > k {
			return k + 1, k + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	full = min(prev[m], k+1)
	prefix = k + 1
	// Only prefixes at least as long as a count: dropping the last letter
	// of a short word ("bike" → "bik…") would match far too much.
	for j := n; j <= m; j++ {
		prefix = min(prefix, prev[j])
	}
	return full, prefix
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
