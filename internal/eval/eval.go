package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// targets maps an attack type to the check that must catch it.
var targets = map[string]string{
	"black": report.CheckCamera, "uniform": report.CheckCamera, "frozen": report.CheckCamera,
	"fps_collapse": report.CheckCamera, "no_video": report.CheckCamera,
	"face_swap": report.CheckFaceSwap,
	// Synthesized re-renderings of a genuine face (swap.go).
	"face_swap_lowres": report.CheckFaceSwap, "face_swap_enhanced": report.CheckFaceSwap,
	// A swap rendering its face over a hand passed across it, during a liveness prompt (hand.go).
	"hand_swap_over": report.CheckLiveness, "hand_swap_flash": report.CheckLiveness,
	"two_faces": report.CheckFace,
	// A looped clip and a moving photo are replays of recorded material (the replay
	// check's loop and photo_motion cues); a resolution switch mid-stream is what a
	// virtual camera changing its source looks like.
	"loop":              report.CheckReplay,
	"photo_motion":      report.CheckReplay,
	"resolution_switch": report.CheckVirtualCamera,
}

// TargetCheck returns the check that must flag attack: camera for black, uniform,
// frozen, fps_collapse and no_video; face_swap; replay for replay_*, loop and
// photo_motion; face for two_faces; virtual_camera for resolution_switch.
func TargetCheck(attack string) (string, bool) {
	if strings.HasPrefix(attack, "replay_") {
		return report.CheckReplay, true
	}
	c, ok := targets[attack]
	return c, ok
}

// Options configure Run.
type Options struct {
	Config  bot.Config // the analyzers, as for a recording
	Open    func(ctx context.Context, path string) (media.Source, error)
	Workers int // rows analyzed at once (default GOMAXPROCS)
	// Limit, if positive, analyzes only the first Limit of each recording (quick runs).
	Limit time.Duration
	// Progress, if not nil, is called after each row (from any goroutine, one at a time).
	Progress func(done, total int, o Outcome)
}

// Outcome is what the checks said about one row.
type Outcome struct {
	Row      Row                      `json:"row"`
	Statuses map[string]report.Status `json:"statuses,omitempty"` // by check id
	Err      string                   `json:"error,omitempty"`    // the row could not be analyzed
}

// Run analyzes every row except photo rows (source material) and returns the outcomes
// in row order. A row that cannot be read has Err set; it does not stop the others.
func Run(ctx context.Context, rows []Row, opt Options) ([]Outcome, error) {
	if opt.Open == nil {
		return nil, errors.New("eval: no Open function")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var todo []Row
	for _, r := range rows {
		if r.Label != LabelPhoto {
			todo = append(todo, r)
		}
	}
	out := make([]Outcome, len(todo))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	next := make(chan int)
	for range min(workers, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = analyze(ctx, todo[i], opt)
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(todo), out[i])
					mu.Unlock()
				}
			}
		}()
	}
	for i := range todo {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out, ctx.Err()
}

func analyze(ctx context.Context, row Row, opt Options) Outcome {
	o := Outcome{Row: row}
	src, err := opt.Open(ctx, row.File)
	if err != nil {
		o.Err = err.Error()
		return o
	}
	defer src.Close()
	if opt.Limit > 0 {
		src = &limited{Source: src, limit: opt.Limit}
	}
	r, err := bot.Analyze(ctx, src, report.Candidate{}, withChallenge(opt.Config, row), nil)
	if err != nil {
		o.Err = err.Error()
		return o
	}
	o.Statuses = map[string]report.Status{}
	for _, c := range r.Checks {
		o.Statuses[c.ID] = c.Status
	}
	return o
}

// limited ends a source after its first limit of media time.
type limited struct {
	media.Source
	limit time.Duration
}

func (l *limited) Next() (*media.Frame, error) {
	f, err := l.Source.Next()
	if err == nil && f.PTS > l.limit {
		return nil, io.EOF
	}
	return f, err
}

// Counts of statuses.
type Counts struct {
	N       int `json:"n"`
	Pass    int `json:"pass"`
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Unknown int `json:"unknown"`
}

func (c *Counts) add(s report.Status) {
	c.N++
	switch s {
	case report.Pass:
		c.Pass++
	case report.Warn:
		c.Warn++
	case report.Fail:
		c.Fail++
	default:
		c.Unknown++
	}
}

// Flagged is warn plus fail.
func (c Counts) Flagged() int { return c.Warn + c.Fail }

// rate returns part/n, or nil when n is 0.
func rate(part, n int) *float64 {
	if n == 0 {
		return nil
	}
	r := float64(part) / float64(n)
	return &r
}

// CheckStats are one check's error rates over all rows.
type CheckStats struct {
	Check string `json:"check"`
	// Genuine counts rows of live people (except those whose attack this check targets).
	Genuine Counts `json:"genuine"`
	// BPCER is genuine rows flagged (warn or fail) over genuine rows.
	BPCER *float64 `json:"bpcer"`
	// Attacks counts rows whose attack type this check must catch.
	Attacks Counts `json:"attacks"`
	// APCER is attacks that passed over attacks. Unknown is neither a pass nor a flag.
	APCER *float64 `json:"apcer"`
}

// AttackStats are the results of one attack type on its target check.
type AttackStats struct {
	Attack string   `json:"attack"`
	Check  string   `json:"check,omitempty"` // "" when no check is assigned
	Counts Counts   `json:"counts"`          // rows where the check ran
	APCER  *float64 `json:"apcer"`
	// NotEvaluated counts rows whose target check does not exist (yet) in the report.
	NotEvaluated int    `json:"not_evaluated"`
	Note         string `json:"note,omitempty"`
}

// ConfusionRow counts one group's statuses for one check.
type ConfusionRow struct {
	Check  string `json:"check"`
	Group  string `json:"group"` // label or label/attack
	Counts Counts `json:"counts"`
}

// RowError is a row that could not be analyzed.
type RowError struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Summary is the result of an evaluation.
type Summary struct {
	Labels    string         `json:"labels"`
	Rows      int            `json:"rows"`          // rows analyzed (photo rows excluded)
	Skipped   int            `json:"skipped_photo"` // photo rows: source material, not scored
	Checks    []CheckStats   `json:"checks"`
	Attacks   []AttackStats  `json:"attacks"`
	Confusion []ConfusionRow `json:"confusion"`
	Errors    []RowError     `json:"errors"`
	Outcomes  []Outcome      `json:"outcomes"`
}

// Summarize counts outcomes per check, per attack type and per group.
func Summarize(labels string, rows []Row, outs []Outcome) *Summary {
	s := &Summary{Labels: labels, Errors: []RowError{}, Outcomes: outs}
	for _, r := range rows {
		if r.Label == LabelPhoto {
			s.Skipped++
		}
	}
	checks := map[string]*CheckStats{}
	attacks := map[string]*AttackStats{}
	confusion := map[[2]string]*Counts{}
	for _, o := range outs {
		s.Rows++
		if o.Err != "" {
			s.Errors = append(s.Errors, RowError{Path: o.Row.Path, Err: o.Err})
			continue
		}
		target, _ := TargetCheck(o.Row.Attack)
		for id, st := range o.Statuses {
			cs := checks[id]
			if cs == nil {
				cs = &CheckStats{Check: id}
				checks[id] = cs
			}
			switch {
			case o.Row.Attack != "" && target == id:
				cs.Attacks.add(st)
			case o.Row.Genuine():
				cs.Genuine.add(st)
			}
			k := [2]string{id, o.Row.Group()}
			if confusion[k] == nil {
				confusion[k] = &Counts{}
			}
			confusion[k].add(st)
		}
		if o.Row.Attack != "" {
			as := attacks[o.Row.Attack]
			if as == nil {
				as = &AttackStats{Attack: o.Row.Attack, Check: target}
				attacks[o.Row.Attack] = as
			}
			if st, ok := o.Statuses[target]; ok && target != "" {
				as.Counts.add(st)
			} else {
				as.NotEvaluated++
			}
		}
	}
	for _, cs := range checks {
		cs.BPCER = rate(cs.Genuine.Flagged(), cs.Genuine.N)
		cs.APCER = rate(cs.Attacks.Pass, cs.Attacks.N)
		s.Checks = append(s.Checks, *cs)
	}
	sort.Slice(s.Checks, func(i, j int) bool { return checkRank(s.Checks[i].Check) < checkRank(s.Checks[j].Check) })
	for _, as := range attacks {
		as.APCER = rate(as.Counts.Pass, as.Counts.N)
		switch {
		case as.Check == "":
			as.Note = "no check is assigned to this attack type"
		case as.NotEvaluated > 0:
			as.Note = fmt.Sprintf("not evaluated: the %s check does not exist yet", as.Check)
		}
		s.Attacks = append(s.Attacks, *as)
	}
	sort.Slice(s.Attacks, func(i, j int) bool {
		a, b := s.Attacks[i], s.Attacks[j]
		if checkRank(a.Check) != checkRank(b.Check) {
			return checkRank(a.Check) < checkRank(b.Check)
		}
		return a.Attack < b.Attack
	})
	for k, c := range confusion {
		s.Confusion = append(s.Confusion, ConfusionRow{Check: k[0], Group: k[1], Counts: *c})
	}
	sort.Slice(s.Confusion, func(i, j int) bool {
		a, b := s.Confusion[i], s.Confusion[j]
		if a.Check != b.Check {
			return checkRank(a.Check) < checkRank(b.Check)
		}
		return groupRank(a.Group) < groupRank(b.Group) || groupRank(a.Group) == groupRank(b.Group) && a.Group < b.Group
	})
	return s
}

// checkRank orders checks in tables as reports do (report.CheckRank); others after, by id.
func checkRank(id string) string {
	if i, ok := report.CheckRank(id); ok {
		return fmt.Sprintf("%02d", i)
	}
	return "99" + id
}

// groupRank puts genuine groups first.
func groupRank(g string) int {
	if strings.HasPrefix(g, "genuine") {
		return 0
	}
	return 1
}

// Check returns the stats of check id, if any row produced it.
func (s *Summary) Check(id string) (CheckStats, bool) {
	for _, c := range s.Checks {
		if c.Check == id {
			return c, true
		}
	}
	return CheckStats{}, false
}

// Attack returns the stats of an attack type, if any row had it.
func (s *Summary) Attack(attack string) (AttackStats, bool) {
	for _, a := range s.Attacks {
		if a.Attack == attack {
			return a, true
		}
	}
	return AttackStats{}, false
}
