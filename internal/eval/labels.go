// Package eval measures the checks against labelled recordings: it reads a labels file
// shaped like ../shared/corpus/labels.csv, analyzes every row through bot.Analyze (the
// same path as live calls), and counts per check and per attack type the ISO/IEC
// 30107-3 error rates: APCER (attacks the check let pass) and BPCER (genuine candidates
// it flagged). It also synthesizes the attacks no corpus has (black, frozen, looped,
// photo, collapsed frame rate, resolution switch) from genuine clips.
package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Labels of a labels file.
const (
	LabelGenuine      = "genuine"       // a live person in front of a camera
	LabelAttack       = "attack"        // a presentation attack; Attack says which
	LabelGenuineStill = "genuine_still" // one frame of a live capture
	LabelAttackStill  = "attack_still"  // one frame of an attack (print, screen)
	LabelPhoto        = "photo"         // source material for attacks; never scored
)

// Row is one line of a labels file.
type Row struct {
	Line   int               `json:"line"`
	Path   string            `json:"path"` // as written, relative to the labels file
	File   string            `json:"-"`    // resolved path
	Label  string            `json:"label"`
	Attack string            `json:"attack,omitempty"`
	Person string            `json:"person,omitempty"`
	Extra  map[string]string `json:"-"` // other columns by name
}

// Genuine reports whether the row shows a live person (bona fide for every check except
// the one its attack column targets, as for a genuine clip with two faces in view).
func (r Row) Genuine() bool { return r.Label == LabelGenuine || r.Label == LabelGenuineStill }

// Group is the row's line in a confusion table: "genuine", "attack/black", ...
func (r Row) Group() string {
	if r.Attack == "" {
		return r.Label
	}
	return r.Label + "/" + r.Attack
}

// Columns is the header this package writes; readers need only path and label.
var Columns = []string{"path", "label", "attack", "person", "width_x_height", "duration_s", "fps", "codec", "content", "source", "licence_as_stated", ChallengeColumn}

// ReadLabels reads a labels file. Paths in it are relative to the file's directory.
func ReadLabels(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := ParseLabels(f, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// ParseLabels parses a labels file whose relative paths are resolved against dir.
func ParseLabels(r io.Reader, dir string) ([]Row, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty labels file")
		}
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"path", "label"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("header has no %q column (want %s)", need, strings.Join(Columns, ","))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		row := Row{Line: line, Path: get(rec, "path"), Label: get(rec, "label"), Attack: get(rec, "attack"), Person: get(rec, "person"), Extra: map[string]string{}}
		for name := range col {
			row.Extra[name] = get(rec, name)
		}
		switch row.Label {
		case LabelGenuine, LabelAttack, LabelGenuineStill, LabelAttackStill, LabelPhoto:
		default:
			return nil, fmt.Errorf("line %d: unknown label %q (want genuine, attack, genuine_still, attack_still or photo)", line, row.Label)
		}
		if row.Path == "" {
			return nil, fmt.Errorf("line %d: empty path", line)
		}
		if (row.Label == LabelAttack || row.Label == LabelAttackStill) && row.Attack == "" {
			return nil, fmt.Errorf("line %d: label %s needs an attack type", line, row.Label)
		}
		row.File = row.Path
		if !filepath.IsAbs(row.File) {
			row.File = filepath.Join(dir, filepath.FromSlash(row.Path))
		}
		rows = append(rows, row)
	}
}

// WriteLabels writes rows with the Columns header; Extra supplies the other columns.
func WriteLabels(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, r := range rows {
		rec := make([]string, len(Columns))
		for i, c := range Columns {
			switch c {
			case "path":
				rec[i] = r.Path
			case "label":
				rec[i] = r.Label
			case "attack":
				rec[i] = r.Attack
			case "person":
				rec[i] = r.Person
			default:
				rec[i] = r.Extra[c]
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
