package corpus

import (
	"fmt"
	"regexp"
	"strings"
)

// Source is where one corpus file comes from, as the source column of labels.csv states it:
// "OWNER/REPO PATH (commit C, blob B); derived: WHAT", with the parenthesis and the derived
// part optional ("(history)", "(history blob B)" for files since removed from the repository).
type Source struct {
	Repo    string // OWNER/REPO on GitHub; empty when the source names no repository
	Path    string // path in the repository, or the source's own description
	Commit  string // as given, possibly abbreviated; empty when not given
	Blob    string // git blob id as given, possibly abbreviated; empty when not given
	History bool   // the file is only in the repository's history
	Derived string // what was cut or re-encoded; empty for a byte-identical copy
}

var (
	repoSource  = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+) (\S+)(?: \(([^)]*)\))?(?:; derived: (.+))?$`)
	commitBlob  = regexp.MustCompile(`^commit ([0-9a-f]{7,40}), blob ([0-9a-f]{7,40})?$`)
	historyBlob = regexp.MustCompile(`^history(?: blob ([0-9a-f]{7,40}))?$`)
	derivedOnly = regexp.MustCompile(`^derived:? (.+)$`)
	debianPkg   = regexp.MustCompile(`^Debian package (\S+) (\S+): (\S+)$`)
)

// ParseSource parses a labels.csv source. A source that names no repository (a derived
// copy of an unnamed file, a Debian package's file) parses with Repo empty.
func ParseSource(s string) (Source, error) {
	s = strings.TrimSpace(s)
	if m := derivedOnly.FindStringSubmatch(s); m != nil {
		return Source{Derived: m[1]}, nil
	}
	if m := debianPkg.FindStringSubmatch(s); m != nil {
		return Source{Path: "debian:" + m[1] + "=" + m[2] + ":" + m[3]}, nil
	}
	m := repoSource.FindStringSubmatch(s)
	if m == nil {
		return Source{}, fmt.Errorf("corpus: source %q: not OWNER/REPO PATH (commit C, blob B)[; derived: …]", s)
	}
	src := Source{Repo: m[1], Path: m[2], Derived: m[4]}
	switch p := m[3]; {
	case p == "":
	case commitBlob.MatchString(p):
		cb := commitBlob.FindStringSubmatch(p)
		src.Commit, src.Blob = cb[1], cb[2]
	case historyBlob.MatchString(p):
		src.History, src.Blob = true, historyBlob.FindStringSubmatch(p)[1]
	default:
		return Source{}, fmt.Errorf("corpus: source %q: unknown note %q", s, p)
	}
	return src, nil
}

var (
	halfRecipe  = regexp.MustCompile(`^(left|right) half of the side-by-side, re-encoded x264 crf (\d+), first 10 s max$`)
	firstRecipe = regexp.MustCompile(`^first 10 s, re-encoded x264 crf (\d+), audio dropped$`)
	gifRecipe   = regexp.MustCompile(`^GIF to mp4 x264 crf (\d+) yuv420p, letterbox bars cropped \(crop=(\d+:\d+:\d+:\d+)\)$`)
	jpegRecipe  = regexp.MustCompile(`^(?:downscaled from \d+x\d+ to max side (\d+), )?re-encoded JPEG q(\d+)$`)
)

// Recipe turns a derived note into the name of the ffmpeg recipe scripts/fetch-corpus.sh
// runs to make the file again ("" when the note is not one it can follow):
//
//	half-left-crf18, half-right-crf18   a side-by-side's half, x264, first 10 s
//	first10-crf18                       first 10 s, x264, no audio
//	gif-crf14-crop=736:312:0:52         GIF to x264 yuv420p with a crop
//	jpeg-q92-max1600, jpeg-q92          JPEG re-encode, optionally downscaled
//
// The result has the same pictures, not the same bytes: encoders differ between ffmpeg
// builds, so a derived file's sha256 is not expected to match the reference copy.
func Recipe(derived string) string {
	if m := halfRecipe.FindStringSubmatch(derived); m != nil {
		return "half-" + m[1] + "-crf" + m[2]
	}
	if m := firstRecipe.FindStringSubmatch(derived); m != nil {
		return "first10-crf" + m[1]
	}
	if m := gifRecipe.FindStringSubmatch(derived); m != nil {
		return "gif-crf" + m[1] + "-crop=" + m[2]
	}
	if m := jpegRecipe.FindStringSubmatch(derived); m != nil {
		if m[1] != "" {
			return "jpeg-q" + m[2] + "-max" + m[1]
		}
		return "jpeg-q" + m[2]
	}
	return ""
}
