// Package corpus locates the corpus of real recordings that tests and measurements read
// (the directory holding labels.csv), and parses where each of its files comes from (the
// source column of labels.csv) for scripts/fetch-corpus.sh. It imports only the standard
// library so that any package's tests may use it (media/face's cannot import corpustest).
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
)

// Env names the variable that points at the corpus directory.
const Env = "INTEGRITYBOT_CORPUS"

// FetchScript downloads the corpus from its public sources and checks it (docs/corpus.md).
const FetchScript = "scripts/fetch-corpus.sh"

// Dir returns the corpus directory: $INTEGRITYBOT_CORPUS, else ../shared/corpus beside the
// module root above the working directory (a relative path, as tests print it). The error
// is one line naming the variable and the script, for a test's skip message.
func Dir() (string, error) {
	dir := os.Getenv(Env)
	if dir == "" {
		dir = DefaultDir()
	}
	if _, err := os.Stat(filepath.Join(dir, "labels.csv")); err != nil {
		return "", fmt.Errorf("corpus not found at %s: set %s to its directory or run %s (docs/corpus.md)", dir, Env, FetchScript)
	}
	return dir, nil
}

// DefaultDir is ../shared/corpus beside the module root found above the working directory
// (../../../shared/corpus from media/face), or ../shared/corpus when there is no go.mod.
func DefaultDir() string {
	up := []string{".."}
	if wd, err := os.Getwd(); err == nil {
		for d, n := wd, 0; d != filepath.Dir(d); d, n = filepath.Dir(d), n+1 {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				for range n {
					up = append(up, "..")
				}
				break
			}
		}
	}
	return filepath.Join(append(up, "shared", "corpus")...)
}
