// Package docs holds integritybot's documentation. Its tests keep README.md the short front
// door it is meant to be and keep every relative link in README.md, docs/ and bench/ leading
// to a file of the repository and, with a #fragment into Markdown, to one of its headings.
package docs

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// maxReadmeLines is the README's budget: what it is, the two commands, a tour, the checks
// and where to go next. Everything else belongs in docs/.
const maxReadmeLines = 250

// root is the repository, seen from this package's directory (go test runs tests there).
const root = ".."

func TestReadmeLength(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := lineCount(string(b)); n > maxReadmeLines {
		t.Errorf("README.md has %d lines, more than %d: move the detail into docs/ and link it", n, maxReadmeLines)
	}
}

func TestLinks(t *testing.T) {
	files, err := markdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"README.md", "docs/architecture.md", "bench/README.md"} {
		if !slices.Contains(files, must) {
			t.Fatalf("%s not among the checked files %v", must, files)
		}
	}
	for _, p := range checkLinks(root, files) {
		t.Error(p)
	}
}

// TestCheckLinks proves the checker finds what it is for, on a small tree of its own.
func TestCheckLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, "repo", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Top\n\n## The checks\n\n[ok](docs/a.md#part-two) [self](#the-checks) [code](go.mod)\n"+
		"[gone](docs/missing.md) [bad anchor](docs/a.md#nope) [outside](../elsewhere.md)\n"+
		"![img](docs/pic.png) [web](https://example.com/x.md) `[in code](nowhere.md)`\n"+
		"```\n[fenced](nowhere.md)\n```\n[ref]: docs/also-missing.md\n")
	write("docs/a.md", "# A\n\n## Part `two`\n\n[up](../README.md#top) [dup](#a-1)\n\n## A\n\n[slash](sub/)\n")
	write("docs/pic.png", "png")
	write("docs/sub/x.md", "# X\n")
	write("go.mod", "module m\n")
	write("../elsewhere.md", "# Outside\n")

	repo := filepath.Join(dir, "repo")
	files, err := markdownFiles(repo)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"README.md", "docs/a.md", "docs/sub/x.md"}; !slices.Equal(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	got := checkLinks(repo, files)
	want := []string{
		`README.md: link "docs/missing.md": no such file`,
		`README.md: link "docs/a.md#nope": docs/a.md has no heading "nope"`,
		`README.md: link "../elsewhere.md": leads outside the repository`,
		`README.md: link "docs/also-missing.md": no such file`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"The `camera` check", "the-camera-check"},
		{"Face-swap check (`face_swap`): the passive cues", "face-swap-check-face_swap-the-passive-cues"},
		{"Behind a NAT / in production", "behind-a-nat--in-production"},
		{"Pulse and blinks: measured", "pulse-and-blinks-measured"},
		{"H.264", "h264"},
		{"A 5-minute tour", "a-5-minute-tour"},
		{"See [the API](api.md) *now*", "see-the-api-now"},
		{"Décodage Über", "décodage-über"},
	} {
		if got := slug(tc.heading); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

func TestLineCount(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{{"", 0}, {"a", 1}, {"a\n", 1}, {"a\nb", 2}, {"a\n\nb\n", 3}} {
		if got := lineCount(tc.text); got != tc.want {
			t.Errorf("lineCount(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func lineCount(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// markdownFiles lists README.md and the Markdown files under docs/ and bench/, as
// slash-separated paths relative to repo, sorted.
func markdownFiles(repo string) ([]string, error) {
	files := []string{"README.md"}
	for _, dir := range []string{"docs", "bench"} {
		err := filepath.WalkDir(filepath.Join(repo, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && p == filepath.Join(repo, dir) {
					return fs.SkipDir
				}
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".md") {
				rel, err := filepath.Rel(repo, p)
				if err != nil {
					return err
				}
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list markdown under %s: %w", dir, err)
		}
	}
	slices.Sort(files)
	return files, nil
}

var (
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	codeSpan   = regexp.MustCompile("`+[^`]*`+")
	htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// checkLinks returns one sentence per broken relative link in files (relative to repo).
func checkLinks(repo string, files []string) []string {
	absRepo, err := filepath.Abs(repo)
	if err != nil {
		return []string{fmt.Sprintf("resolve %s: %v", repo, err)}
	}
	anchors := map[string]map[string]bool{} // by file, relative to repo
	var problems []string
	for _, f := range files {
		text, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(f)))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		for _, target := range links(string(text)) {
			if p := checkLink(absRepo, f, target, anchors); p != "" {
				problems = append(problems, fmt.Sprintf("%s: link %q: %s", f, target, p))
			}
		}
	}
	return problems
}

// checkLink says what is wrong with one link target written in file from (relative to
// repo), or "" when it resolves.
func checkLink(absRepo, from, target string, anchors map[string]map[string]bool) string {
	if scheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return "" // a web address, mailto: and the like: not ours to check offline
	}
	pathPart, frag, _ := strings.Cut(target, "#")
	pathPart, err := url.PathUnescape(pathPart)
	if err != nil {
		return fmt.Sprintf("bad escape: %v", err)
	}
	rel := from
	if pathPart != "" {
		if strings.HasPrefix(pathPart, "/") {
			return "absolute path: write it relative to the file"
		}
		rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(from), pathPart)))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "leads outside the repository"
		}
		if _, err := os.Stat(filepath.Join(absRepo, filepath.FromSlash(rel))); err != nil {
			return "no such file"
		}
	}
	if frag == "" || !strings.HasSuffix(rel, ".md") {
		return ""
	}
	if anchors[rel] == nil {
		text, err := os.ReadFile(filepath.Join(absRepo, filepath.FromSlash(rel)))
		if err != nil {
			return err.Error()
		}
		anchors[rel] = headingAnchors(string(text))
	}
	if frag, err = url.PathUnescape(frag); err != nil {
		return fmt.Sprintf("bad escape: %v", err)
	}
	if !anchors[rel][frag] {
		return fmt.Sprintf("%s has no heading %q", rel, frag)
	}
	return ""
}

// links returns the targets of the inline and reference links of a Markdown text, outside
// fenced code blocks and code spans.
func links(text string) []string {
	var out []string
	for _, line := range prose(text) {
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// headingAnchors returns the fragments GitHub gives a Markdown text's headings (repeats get
// -1, -2, …), plus explicit <a name|id="…"> anchors.
func headingAnchors(text string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	for _, line := range prose(text) {
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		h := strings.TrimLeft(line, "#")
		if len(h) == len(line) || len(line)-len(h) > 6 || (h != "" && h[0] != ' ' && h[0] != '\t') {
			continue
		}
		s := slug(strings.TrimRight(strings.TrimSpace(h), "#"))
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// slug is GitHub's anchor for a heading: its text (links reduced to their text) in lower
// case, with every character that is not a letter, digit, space, hyphen or underscore left
// out and each space turned into a hyphen.
func slug(heading string) string {
	heading = inlineLink.ReplaceAllStringFunc(heading, func(l string) string {
		return l[strings.Index(l, "[")+1 : strings.Index(l, "]")]
	})
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// prose returns the lines of a Markdown text outside fenced code blocks.
func prose(text string) []string {
	var out []string
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		out = append(out, line)
	}
	return out
}
