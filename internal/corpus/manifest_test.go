package corpus

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The manifest scripts/fetch-corpus.sh reads lives in the repository, so that a clone
// without the corpus can fetch it:
//
//	scripts/corpus/labels.csv, train/labels.csv, README.md   copies of the corpus's own
//	scripts/corpus/sources.tsv                                where each file comes from
//	scripts/corpus.sha256                                     sha256sum of every file
//
// They are generated from the corpus: go test ./internal/corpus -run TestManifest -update
// (with the corpus present) after the corpus changes.
var update = flag.Bool("update", false, "regenerate scripts/corpus/ and scripts/corpus.sha256 from the corpus")

const scripts = "../../scripts"

// metaFiles are the corpus's own files, copied into scripts/corpus/.
var metaFiles = []string{"README.md", "labels.csv", "train/labels.csv"}

// pins name sources that labels.csv gives in a form no download can use.
var pins = map[string]row{
	// "Debian package python3-skimage 0.19.3-8: …/skimage/data/astronaut.png": the same file
	// as scikit-image's repository at the release tag (sha256 checked on download).
	"photo/skimage_astronaut.png": {how: "git", repo: "scikit-image/scikit-image", ref: "v0.19.3", srcPath: "skimage/data/astronaut.png"},
}

// row is one line of sources.tsv; "-" stands for an empty field (bash's read merges tabs).
type row struct {
	path, how, repo, ref, srcPath, blob, recipe string
}

func (r row) String() string {
	f := []string{r.path, r.how, r.repo, r.ref, r.srcPath, r.blob, r.recipe}
	for i, v := range f {
		if v == "" {
			f[i] = "-"
		}
	}
	return strings.Join(f, "\t")
}

const sourcesHeader = "# path\thow\trepo\tref\tsrc_path\tblob\trecipe   (generated: go test ./internal/corpus -run TestManifest -update)\n" +
	"# how: meta = copy of scripts/corpus/PATH; git = GET $CORPUS_SOURCE_BASE/REPO/raw/REF/SRC_PATH; blob = GET\n" +
	"# $CORPUS_API_BASE/repos/REPO/git/blobs/BLOB (a file only in the repository's history, commit not recorded);\n" +
	"# derived = the git source made again with ffmpeg RECIPE (not byte-exact); none = no public source named.\n"

// labelRow is a labels.csv row's path and source.
type labelRow struct{ path, source string }

func readLabels(t *testing.T, path string) []labelRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []labelRow
	for _, r := range recs[1:] {
		out = append(out, labelRow{r[col["path"]], r[col["source"]]})
	}
	return out
}

// gitBlob is the git blob id of data (what `git hash-object` prints).
func gitBlob(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

var safePath = regexp.MustCompile(`^[A-Za-z0-9._/=-]+$`)

// buildRows turns the labels copies into sources.tsv rows; blobOf gives the full blob id
// of a corpus file ("" when unknown: the committed manifest's is kept).
func buildRows(t *testing.T, blobOf func(path string) string) []row {
	t.Helper()
	var rows []row
	for _, m := range metaFiles {
		rows = append(rows, row{path: m, how: "meta"})
	}
	for _, labels := range []string{"labels.csv", "train/labels.csv"} {
		for _, l := range readLabels(t, filepath.Join(scripts, "corpus", labels)) {
			src, err := ParseSource(l.source)
			if err != nil {
				t.Errorf("%s %s: %v", labels, l.path, err)
				continue
			}
			r := row{path: l.path, repo: src.Repo, ref: src.Commit, srcPath: src.Path, blob: src.Blob}
			switch pin, pinned := pins[l.path]; {
			case pinned:
				r = pin
				r.path = l.path
				r.blob = blobOf(l.path)
			case src.Repo == "":
				r = row{path: l.path, how: "none"}
			case src.Derived != "":
				r.how, r.recipe = "derived", Recipe(src.Derived)
				if r.recipe == "" || r.ref == "" {
					r = row{path: l.path, how: "none"}
				}
			default:
				full := blobOf(l.path)
				if full != "" && src.Blob != "" && !strings.HasPrefix(full, src.Blob) {
					t.Errorf("%s: labels.csv says blob %s, the file is blob %s", l.path, src.Blob, full)
				}
				if full != "" {
					r.blob = full
				}
				r.how = "git"
				if r.ref == "" {
					r.how = "blob"
				}
			}
			for _, f := range []string{r.path, r.srcPath, r.ref} {
				if f != "" && !safePath.MatchString(f) {
					t.Errorf("%s: %q has characters the script does not quote", l.path, f)
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// committedBlobs are the blob ids of the committed sources.tsv, by path.
func committedBlobs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(string(readFile(t, filepath.Join(scripts, "corpus", "sources.tsv"))), "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 7 && !strings.HasPrefix(l, "#") && f[5] != "-" {
			out[f[0]] = f[5]
		}
	}
	return out
}

// TestManifest: sources.tsv says, for every file of the labels copies, where it comes from
// as labels.csv states it (a byte-identical file's blob id agreeing with labels.csv's), and
// corpus.sha256 has one checksum per file. With the corpus present, both are exactly what
// the corpus gives (-update rewrites them).
func TestManifest(t *testing.T) {
	dir, dirErr := Dir()
	if *update {
		if dirErr != nil {
			t.Fatal(dirErr)
		}
		for _, m := range metaFiles {
			if err := os.WriteFile(filepath.Join(scripts, "corpus", m), readFile(t, filepath.Join(dir, m)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	blobOf := func(path string) string { return committedBlobs(t)[path] }
	if dirErr == nil {
		blobOf = func(path string) string { return gitBlob(readFile(t, filepath.Join(dir, path))) }
	}
	rows := buildRows(t, blobOf)
	var sources, sums bytes.Buffer
	sources.WriteString(sourcesHeader)
	for _, r := range rows {
		fmt.Fprintln(&sources, r)
	}
	if dirErr == nil {
		for _, r := range rows {
			sum := sha256.Sum256(readFile(t, filepath.Join(dir, r.path)))
			fmt.Fprintf(&sums, "%x  %s\n", sum, r.path)
		}
	} else {
		sums.Write(readFile(t, filepath.Join(scripts, "corpus.sha256")))
	}
	if *update {
		for name, b := range map[string][]byte{filepath.Join(scripts, "corpus", "sources.tsv"): sources.Bytes(), filepath.Join(scripts, "corpus.sha256"): sums.Bytes()} {
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if dirErr == nil {
		for _, m := range metaFiles {
			if !bytes.Equal(readFile(t, filepath.Join(dir, m)), readFile(t, filepath.Join(scripts, "corpus", m))) {
				t.Errorf("scripts/corpus/%s differs from the corpus's: go test ./internal/corpus -run TestManifest -update", m)
			}
		}
	}
	if got := readFile(t, filepath.Join(scripts, "corpus", "sources.tsv")); !bytes.Equal(got, sources.Bytes()) {
		t.Errorf("scripts/corpus/sources.tsv is not what the labels give: go test ./internal/corpus -run TestManifest -update")
	}
	if got := readFile(t, filepath.Join(scripts, "corpus.sha256")); !bytes.Equal(got, sums.Bytes()) {
		t.Errorf("scripts/corpus.sha256 is not the corpus's checksums: go test ./internal/corpus -run TestManifest -update")
	}
	// Every file has exactly one checksum line.
	lines := strings.Split(strings.TrimSpace(sums.String()), "\n")
	if len(lines) != len(rows) {
		t.Errorf("corpus.sha256 has %d lines for %d files", len(lines), len(rows))
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.how]++
	}
	t.Logf("%d files: %v", len(rows), counts)
}
