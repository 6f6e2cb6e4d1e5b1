package corpus

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scripts/fetch-corpus.sh cannot reach GitHub here: these tests give it file:// URLs for
// CORPUS_SOURCE_BASE and CORPUS_API_BASE, laid out as GitHub serves them, and check its
// parsing of the manifest, its URLs and its checksum logic.

// fakeGitHub is a directory served as github.com (OWNER/REPO/raw/REF/PATH) and as
// api.github.com (repos/OWNER/REPO/git/blobs/BLOB) through file:// URLs.
type fakeGitHub struct{ web, api string }

func newFakeGitHub(t *testing.T) fakeGitHub {
	d := t.TempDir()
	return fakeGitHub{web: filepath.Join(d, "web"), api: filepath.Join(d, "api")}
}

func (g fakeGitHub) env() []string {
	return []string{"CORPUS_SOURCE_BASE=file://" + g.web, "CORPUS_API_BASE=file://" + g.api}
}

func put(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// manifest writes a manifest directory (corpus/sources.tsv, corpus.sha256, meta copies).
type manifest struct {
	dir     string
	sources strings.Builder
	sums    strings.Builder
}

func newManifest(t *testing.T) *manifest {
	m := &manifest{dir: t.TempDir()}
	m.sources.WriteString(sourcesHeader)
	return m
}

func (m *manifest) add(r row, data []byte) {
	fmt.Fprintln(&m.sources, r)
	fmt.Fprintf(&m.sums, "%x  %s\n", sha256.Sum256(data), r.path)
}

func (m *manifest) write(t *testing.T) {
	put(t, filepath.Join(m.dir, "corpus", "sources.tsv"), []byte(m.sources.String()))
	put(t, filepath.Join(m.dir, "corpus.sha256"), []byte(m.sums.String()))
}

// fetch runs the script with the manifest and fake GitHub; it returns stdout+stderr and the
// exit status.
func fetch(t *testing.T, m *manifest, g fakeGitHub, extraEnv []string, args ...string) (string, int) {
	t.Helper()
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/fetch-corpus.sh needs it)", tool)
		}
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(scripts, "fetch-corpus.sh")}, args...)...)
	cmd.Env = append(append(os.Environ(), "CORPUS_MANIFEST_DIR="+m.dir, "GITHUB_TOKEN="), append(g.env(), extraEnv...)...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("fetch-corpus.sh: %v\n%s", err, out)
	return "", -1
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.Gray{Y: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFetchScript: every kind of source on a fake GitHub — a meta copy, a file at a commit,
// a file by blob id, a derived file made with ffmpeg, one with no source — fetched and
// checked; present files kept; --check; a changed source, a missing source and a changed
// local file each fail, naming the file.
func TestFetchScript(t *testing.T) {
	g := newFakeGitHub(t)
	m := newManifest(t)
	labels := []byte("path,label\n")
	put(t, filepath.Join(m.dir, "corpus", "labels.csv"), labels)
	m.add(row{path: "labels.csv", how: "meta"}, labels)
	gitData, blobData := []byte("a file at a commit\n"), []byte("a file only in history\n")
	put(t, filepath.Join(g.web, "own/repo/raw/abc1234/x/y.bin"), gitData)
	m.add(row{path: "genuine/at_commit.bin", how: "git", repo: "own/repo", ref: "abc1234", srcPath: "x/y.bin"}, gitData)
	blob := gitBlob(blobData)
	put(t, filepath.Join(g.api, "repos/own/repo/git/blobs", blob), blobData)
	m.add(row{path: "genuine/by_blob.bin", how: "blob", repo: "own/repo", srcPath: "old/z.bin", blob: blob}, blobData)
	m.add(row{path: "photo/no_source.jpg", how: "none"}, []byte("reference copy"))
	_, haveFFmpeg := exec.LookPath("ffmpeg")
	if haveFFmpeg == nil {
		put(t, filepath.Join(g.web, "own/repo/raw/abc1234/img/big.png"), pngOf(t, 64, 48))
		m.add(row{path: "photo/derived.jpg", how: "derived", repo: "own/repo", ref: "abc1234", srcPath: "img/big.png", recipe: "jpeg-q92-max32"}, []byte("reference jpeg"))
	}
	m.write(t)

	dir := filepath.Join(t.TempDir(), "corpus")
	out, code := fetch(t, m, g, nil, dir)
	if code != 0 {
		t.Fatalf("fetch: exit %d\n%s", code, out)
	}
	for path, want := range map[string][]byte{"labels.csv": labels, "genuine/at_commit.bin": gitData, "genuine/by_blob.bin": blobData} {
		if got, err := os.ReadFile(filepath.Join(dir, path)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, %v; want %q", path, got, err, want)
		}
	}
	for _, want := range []string{"fetched  genuine/at_commit.bin", "fetched  genuine/by_blob.bin", "copied   labels.csv",
		"skipped  photo/no_source.jpg (no public source", "0 already present, 3 fetched"} {
		if !strings.Contains(out, want) {
			t.Errorf("fetch output lacks %q:\n%s", want, out)
		}
	}
	if haveFFmpeg == nil {
		b, err := os.ReadFile(filepath.Join(dir, "photo/derived.jpg"))
		if err != nil || !bytes.HasPrefix(b, []byte{0xff, 0xd8}) || !strings.Contains(out, "derived  photo/derived.jpg (jpeg-q92-max32 from own/repo img/big.png; same pictures, not byte-exact)") {
			t.Errorf("derived JPEG: %d bytes, %v; output:\n%s", len(b), err, out)
		}
	}

	// A second run keeps what is there; --check passes.
	if out, code := fetch(t, m, g, nil, dir); code != 0 || !strings.Contains(out, "3 already present, 0 fetched") {
		t.Errorf("second fetch: exit %d\n%s", code, out)
	}
	if out, code := fetch(t, m, g, nil, "--check", dir); code != 0 {
		t.Errorf("--check on a fetched corpus: exit %d\n%s", code, out)
	}
	put(t, filepath.Join(dir, "genuine/by_blob.bin"), []byte("changed locally\n"))
	if out, code := fetch(t, m, g, nil, "--check", dir); code != 1 || !strings.Contains(out, "FAIL     genuine/by_blob.bin: sha256 mismatch") {
		t.Errorf("--check with a changed file: exit %d\n%s", code, out)
	}

	// A source that changed upstream fails its checksum and leaves no file; a missing one fails.
	put(t, filepath.Join(g.web, "own/repo/raw/abc1234/x/y.bin"), []byte("not what was pinned\n"))
	if err := os.Remove(filepath.Join(g.api, "repos/own/repo/git/blobs", blob)); err != nil {
		t.Fatal(err)
	}
	dir2 := filepath.Join(t.TempDir(), "corpus")
	out, code = fetch(t, m, g, []string{"CORPUS_NO_DERIVE=1"}, dir2)
	if code != 1 {
		t.Fatalf("fetch from changed sources: exit %d\n%s", code, out)
	}
	for _, want := range []string{"FAIL     genuine/at_commit.bin: sha256 mismatch: got ", "want " + fmt.Sprintf("%x", sha256.Sum256(gitData)),
		"FAIL     genuine/by_blob.bin: download failed: file://" + g.api + "/repos/own/repo/git/blobs/" + blob, "2 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("fetch from changed sources lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir2, "genuine/at_commit.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file failing its checksum was left in the corpus: %v", err)
	}
}

// TestFetchRealManifest: one file of each kind from the real manifest (scripts/corpus/
// sources.tsv, scripts/corpus.sha256), served from the local corpus at the paths the script
// asks GitHub for, fetches and checks: the URLs and checksums of the real manifest agree.
func TestFetchRealManifest(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Skip(err)
	}
	sums := map[string]string{}
	for _, l := range strings.Split(string(readFile(t, filepath.Join(scripts, "corpus.sha256"))), "\n") {
		if sum, path, ok := strings.Cut(l, "  "); ok {
			sums[path] = sum
		}
	}
	g := newFakeGitHub(t)
	m := newManifest(t)
	taken := map[string]bool{}
	var picked []string
	for _, l := range strings.Split(string(readFile(t, filepath.Join(scripts, "corpus", "sources.tsv"))), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 7 || strings.HasPrefix(l, "#") || taken[f[1]] {
			continue
		}
		taken[f[1]] = true
		r := row{path: f[0], how: f[1], repo: f[2], ref: f[3], srcPath: f[4], blob: f[5], recipe: f[6]}
		data := readFile(t, filepath.Join(dir, r.path))
		switch r.how {
		case "meta":
			put(t, filepath.Join(m.dir, "corpus", r.path), readFile(t, filepath.Join(scripts, "corpus", r.path)))
		case "git":
			put(t, filepath.Join(g.web, r.repo, "raw", r.ref, r.srcPath), data)
		case "blob":
			put(t, filepath.Join(g.api, "repos", r.repo, "git", "blobs", r.blob), data)
		}
		m.add(r, data)
		if got := m.sums.String(); !strings.HasSuffix(got, sums[r.path]+"  "+r.path+"\n") {
			t.Fatalf("%s: corpus.sha256 says %s, the local corpus is otherwise", r.path, sums[r.path])
		}
		picked = append(picked, r.how+" "+r.path)
	}
	if len(taken) != 5 {
		t.Fatalf("kinds in sources.tsv: %v; want meta, git, blob, derived, none", taken)
	}
	m.write(t)
	out, code := fetch(t, m, g, []string{"CORPUS_NO_DERIVE=1"}, filepath.Join(t.TempDir(), "corpus"))
	if code != 0 || !strings.Contains(out, "3 fetched") || !strings.Contains(out, "2 skipped, 0 failed") {
		t.Errorf("fetching %v: exit %d\n%s", picked, code, out)
	}
}
