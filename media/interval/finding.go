// Package interval holds what the analyzers' interval findings have in common: keeping an
// hour-long call's list short by merging the closest findings of the same kind.
package interval

import "time"

// Span is an interval finding of some kind (black picture, no face, ...).
type Span interface {
	Kind() int
	Span() (from, to time.Duration)
}

// Compact merges the closest pairs of same-kind findings with merge until at most limit
// remain. fs must be sorted by start; the result is too. Findings of distinct kinds are
// never merged, so more than limit may remain when every kind is distinct.
func Compact[F Span](fs []F, limit int, merge func(a, b F) F) []F {
	last := map[int]int{}
	for len(fs) > limit {
		clear(last)
		bi, bj := -1, -1
		var best time.Duration
		for j, f := range fs {
			if i, ok := last[f.Kind()]; ok {
				_, prevTo := fs[i].Span()
				from, _ := f.Span()
				if gap := from - prevTo; bi < 0 || gap < best {
					bi, bj, best = i, j, gap
				}
			}
			last[f.Kind()] = j
		}
		if bi < 0 {
			return fs // all kinds distinct: cannot shrink further
		}
		fs[bi] = merge(fs[bi], fs[bj])
		fs = append(fs[:bj], fs[bj+1:]...)
	}
	return fs
}

// Kinds counts the distinct kinds in fs.
func Kinds[F Span](fs []F) int {
	seen := map[int]bool{}
	for _, f := range fs {
		seen[f.Kind()] = true
	}
	return len(seen)
}
