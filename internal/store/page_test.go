package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// TestListInterviewsPages: walking the pages returns every interview once, newest first, also
// when several share a creation time (ties broken by id); a bad cursor is refused.
func TestListInterviewsPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := db.open(t)
		const n = 23
		for i := range n {
			iv := Interview{ID: fmt.Sprintf("iv-%02d", i), Candidate: report.Candidate{Name: "C"},
				CreatedAt: t0.Add(time.Duration(i/3) * time.Second), State: report.Scheduled} // 3 per second
			if err := s.CreateInterview(ctx, iv); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.ListInterviews(ctx, 0)
		if err != nil || len(all) != n {
			t.Fatalf("ListInterviews: %d, %v", len(all), err)
		}
		var got []string
		var c Cursor
		for page := 0; ; page++ {
			if page > n {
				t.Fatal("the pages never end")
			}
			p, err := s.ListInterviewsAfter(ctx, c, 5)
			if err != nil {
				t.Fatal(err)
			}
			for _, iv := range p {
				got = append(got, iv.ID)
			}
			if len(p) < 5 {
				break
			}
			if c, err = ParseCursor(Cursor{CreatedAt: p[len(p)-1].CreatedAt, ID: p[len(p)-1].ID}.String()); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != n {
			t.Fatalf("pages held %d interviews, want %d: %v", len(got), n, got)
		}
		for i, iv := range all {
			if got[i] != iv.ID {
				t.Fatalf("page order %v differs from the list's at %d", got, i)
			}
		}
		for _, bad := range []string{"!!", "bm9kb3Q", "YWJjLmRlZg"} { // not base64, "nodot", "abc.def"
			if _, err := ParseCursor(bad); !errors.Is(err, ErrBadCursor) {
				t.Errorf("ParseCursor(%q) = %v, want ErrBadCursor", bad, err)
			}
		}
	})
}
