package replay

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/replay/attack"
)

// TestMeasurePhoto prints, per file of a synthesized replay set (eval --synthesize's
// labels.csv in $REPLAY_SET) whose name starts with $REPLAY_SPLIT (default "tune_"), and
// per genuine corpus clip of that split, the replay check's status and each motion
// pair's kind:inliers/motion/residual/floor; then the status counts per family.
//
//	REPLAY_SET=/tmp/synth REPLAY_MEASURE=1 go test -run TestMeasurePhoto -v ./media/replay
func TestMeasurePhoto(t *testing.T) {
	set := os.Getenv("REPLAY_SET")
	if os.Getenv("REPLAY_MEASURE") == "" || set == "" {
		t.Skip("set REPLAY_MEASURE=1 and REPLAY_SET to a synthesized set to print the measurements")
	}
	needFFmpeg(t)
	split := os.Getenv("REPLAY_SPLIT")
	if split == "" {
		split = "tune"
	}
	faces := newFaces(t)
	type item struct{ path, family string }
	var items []item
	// The files' names say their split and family: <split>_<family>_<n>.ivf.
	names, _ := filepath.Glob(filepath.Join(set, split+"_*.ivf"))
	only := os.Getenv("REPLAY_ONLY") // a substring of the names to measure, if set
	for _, p := range names {
		base := filepath.Base(p)
		fam := base[len(split)+1 : strings.LastIndex(base, "_")]
		if fam == "lowmotion" {
			fam = "genuine_lowmotion"
		} else {
			fam = "replay_" + fam
		}
		if strings.Contains(base, only) {
			items = append(items, item{p, fam})
		}
	}
	dir := corpusDir(t)
	for _, r := range readCSV(t, filepath.Join(dir, "labels.csv")) {
		if r[1] == "genuine" && attack.SplitOf(r[3]) == split && strings.Contains("genuine_corpus", only) {
			items = append(items, item{filepath.Join(dir, r[0]), "genuine_corpus"})
		}
	}
	counts := map[string]map[report.Status]int{}
	for _, it := range items {
		frames := loadFrames(t, it.path, 20*time.Second)
		var pairs []string
		var fa = faces.Fresh()
		a := New(Config{}, fa)
		a.motion.trace = func(pts time.Duration, r pairResult) {
			pairs = append(pairs, fmt.Sprintf("%d:%.2f/%.1f/%.1f/%.1f", r.kind, r.inliers, r.motion, r.residual, r.floor))
		}
		for _, f := range frames {
			fa.Observe(f)
			a.Observe(f)
		}
		c := a.Result(a.lastPTS)
		if counts[it.family] == nil {
			counts[it.family] = map[report.Status]int{}
		}
		counts[it.family][c.Status]++
		t.Logf("%-22s %-40s %s | %s", it.family, filepath.Base(it.path), c.Status, strings.Join(pairs, " "))
	}
	var fams []string
	for f := range counts {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	for _, f := range fams {
		t.Logf("%-22s %v", f, counts[f])
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}
