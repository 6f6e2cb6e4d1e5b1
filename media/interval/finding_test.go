package interval

import (
	"testing"
	"time"
)

type span struct {
	kind     int
	from, to time.Duration
	n        int
}

func (s span) Kind() int                      { return s.kind }
func (s span) Span() (from, to time.Duration) { return s.from, s.to }

func mergeSpans(a, b span) span {
	return span{kind: a.kind, from: a.from, to: max(a.to, b.to), n: a.n + b.n}
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestCompact(t *testing.T) {
	cases := []struct {
		name  string
		in    []span
		limit int
		want  []span
	}{
		{"under the limit", []span{{0, sec(0), sec(1), 1}, {0, sec(5), sec(6), 1}}, 2,
			[]span{{0, sec(0), sec(1), 1}, {0, sec(5), sec(6), 1}}},
		{"closest pair of a kind merges first", []span{{0, sec(0), sec(1), 1}, {0, sec(10), sec(11), 1}, {0, sec(12), sec(13), 1}}, 2,
			[]span{{0, sec(0), sec(1), 1}, {0, sec(10), sec(13), 2}}},
		{"other kinds in between are skipped", []span{{0, sec(0), sec(1), 1}, {1, sec(2), sec(3), 1}, {0, sec(4), sec(5), 1}}, 2,
			[]span{{0, sec(0), sec(5), 2}, {1, sec(2), sec(3), 1}}},
		{"distinct kinds cannot shrink", []span{{0, 0, sec(1), 1}, {1, sec(2), sec(3), 1}, {2, sec(4), sec(5), 1}}, 1,
			[]span{{0, 0, sec(1), 1}, {1, sec(2), sec(3), 1}, {2, sec(4), sec(5), 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Compact(append([]span(nil), tc.in...), tc.limit, mergeSpans)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestKinds(t *testing.T) {
	if n := Kinds([]span{{kind: 0}, {kind: 2}, {kind: 0}}); n != 2 {
		t.Fatalf("Kinds = %d, want 2", n)
	}
	if n := Kinds[span](nil); n != 0 {
		t.Fatalf("Kinds(nil) = %d, want 0", n)
	}
}
