package route

import (
	"fmt"
	"math"
	"slices"

	"github.com/coopmap/coopmap"
)

// OrderOptions configure Order.
type OrderOptions struct {
	// RoundTrip: the order returns to its start, so the cost of getting
	// back counts.
	RoundTrip bool
	// FreeEnd: the order may end anywhere; otherwise (and unless
	// RoundTrip) it ends at the last index.
	FreeEnd bool
}

// unreachableCost stands in for +Inf in the heuristic, so that sums
// still compare.
const unreachableCost = 1e12

// Order returns the cheapest order to visit the n points of the cost
// matrix m (m[i][j] the cost from i to j, +Inf when j cannot be reached
// from i), starting at 0 and, unless opts say otherwise, ending at n-1.
// Up to MaxExactOrder points the order is exact (Held–Karp dynamic
// programming, O(2^n·n²)); beyond, nearest insertion improved by 2-opt
// and moving single points until neither helps. The round trip's return
// to 0 is not part of the result.
//
// Order's error is a coopmap error with CodeUnroutable, naming the point
// as "points[i]", when no order connects every point, and CodeTooLarge
// beyond MaxPoints points.
func Order(m [][]float64, opts OrderOptions) ([]int, error) {
	n := len(m)
	if n > MaxPoints {
		return nil, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "points", Message: fmt.Sprintf("%d points; an order has at most %d", n, MaxPoints)}
	}
	if n <= 2 {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order, nil
	}
	c := func(i, j int) float64 {
		if v := m[i][j]; v < unreachableCost {
			return v
		}
		return unreachableCost
	}
	fixedEnd := !opts.RoundTrip && !opts.FreeEnd
	var order []int
	if n <= MaxExactOrder {
		order = heldKarp(n, c, opts.RoundTrip, fixedEnd)
	} else {
		order = insertion(n, c, opts.RoundTrip, fixedEnd)
	}
	if cost(order, c, opts.RoundTrip) >= unreachableCost {
		return nil, orderUnreachable(m)
	}
	return order, nil
}

// cost is the cost of visiting order, returning to its start for a round
// trip.
func cost(order []int, c func(i, j int) float64, round bool) float64 {
	s := 0.0
	for i := 0; i+1 < len(order); i++ {
		s += c(order[i], order[i+1])
	}
	if round && len(order) > 1 {
		s += c(order[len(order)-1], order[0])
	}
	return s
}

// heldKarp is the exact dynamic programme over subsets of the points
// between the start and (when fixed) the end.
func heldKarp(n int, c func(i, j int) float64, round, fixedEnd bool) []int {
	var inner []int
	for i := 1; i < n; i++ {
		if !(fixedEnd && i == n-1) {
			inner = append(inner, i)
		}
	}
	k := len(inner)
	full := 1<<k - 1
	dp := make([]float64, (full+1)*k)
	parent := make([]int8, (full+1)*k)
	for i := range dp {
		dp[i] = math.Inf(1)
	}
	for j := range k {
		dp[(1<<j)*k+j] = c(0, inner[j])
		parent[(1<<j)*k+j] = -1
	}
	for set := 1; set <= full; set++ {
		for j := range k {
			if set&(1<<j) == 0 || math.IsInf(dp[set*k+j], 1) {
				continue
			}
			base := dp[set*k+j]
			for l := range k {
				if set&(1<<l) != 0 {
					continue
				}
				next := set | 1<<l
				if v := base + c(inner[j], inner[l]); v < dp[next*k+l] {
					dp[next*k+l] = v
					parent[next*k+l] = int8(j)
				}
			}
		}
	}
	last, best := 0, math.Inf(1)
	for j := range k {
		v := dp[full*k+j]
		switch {
		case round:
			v += c(inner[j], 0)
		case fixedEnd:
			v += c(inner[j], n-1)
		}
		if v < best {
			best, last = v, j
		}
	}
	order := make([]int, 0, n)
	for set, j := full, last; j >= 0; {
		order = append(order, inner[j])
		pj := int(parent[set*k+j])
		set &^= 1 << j
		j = pj
	}
	order = append(order, 0)
	slices.Reverse(order)
	if fixedEnd {
		order = append(order, n-1)
	}
	return order
}

// insertion builds an order by nearest insertion and improves it with
// 2-opt and single-point moves, keeping the start (and a fixed end) in
// place.
func insertion(n int, c func(i, j int) float64, round, fixedEnd bool) []int {
	order := []int{0}
	if fixedEnd {
		order = append(order, n-1)
	}
	in := make([]bool, n)
	for _, i := range order {
		in[i] = true
	}
	for len(order) < n {
		// The point nearest to the tour so far, either way.
		pick, near := -1, math.Inf(1)
		for u := range n {
			if in[u] {
				continue
			}
			for _, t := range order {
				if d := min(c(t, u), c(u, t)); d < near || pick < 0 {
					pick, near = u, d
				}
			}
		}
		// Inserted where it adds least.
		pos, add := -1, math.Inf(1)
		for i := 1; i <= len(order); i++ {
			if fixedEnd && i == len(order) {
				break
			}
			prev := order[i-1]
			var d float64
			switch {
			case i < len(order):
				d = c(prev, pick) + c(pick, order[i]) - c(prev, order[i])
			case round:
				d = c(prev, pick) + c(pick, order[0]) - c(prev, order[0])
			default:
				d = c(prev, pick)
			}
			if d < add || pos < 0 {
				pos, add = i, d
			}
		}
		order = slices.Insert(order, pos, pick)
		in[pick] = true
	}
	// Positions lo..hi that may change: not the start, nor a fixed end.
	lo, hi := 1, n-1
	if fixedEnd {
		hi = n - 2
	}
	best := cost(order, c, round)
	for pass := 0; pass < 100; pass++ {
		improved := false
		for i := lo; i < hi; i++ {
			for j := i + 1; j <= hi; j++ {
				slices.Reverse(order[i : j+1])
				if v := cost(order, c, round); v < best-1e-9 {
					best, improved = v, true
				} else {
					slices.Reverse(order[i : j+1])
				}
			}
		}
		for i := lo; i <= hi; i++ {
			for j := lo; j <= hi; j++ {
				if i == j {
					continue
				}
				moved := move(order, i, j)
				if v := cost(moved, c, round); v < best-1e-9 {
					best, improved = v, true
					copy(order, moved)
				}
			}
		}
		if !improved {
			break
		}
	}
	return order
}

// move returns a copy of order with the element at i moved to j.
func move(order []int, i, j int) []int {
	out := slices.Clone(order)
	v := out[i]
	out = slices.Delete(out, i, i+1)
	return slices.Insert(out, j, v)
}

// orderUnreachable names a point no order can reach or leave.
func orderUnreachable(m [][]float64) error {
	n := len(m)
	for i := range n {
		into, out := false, false
		for j := range n {
			if i == j {
				continue
			}
			into = into || !math.IsInf(m[j][i], 1)
			out = out || !math.IsInf(m[i][j], 1)
		}
		if !into || !out {
			return &coopmap.Error{Code: coopmap.CodeUnroutable, Field: fmt.Sprintf("points[%d]", i), Message: fmt.Sprintf("points[%d] cannot be reached from, or cannot reach, the other points by bike (an island, or oneways that lead away)", i)}
		}
	}
	return &coopmap.Error{Code: coopmap.CodeUnroutable, Field: "points", Message: "no order of the points connects them all by bike"}
}
