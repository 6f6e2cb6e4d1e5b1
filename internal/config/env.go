package config

import (
	"fmt"
	"os"
	"strings"
)

// envSecret sets *dst from the environment variable name, or from the file that name+"_FILE"
// names (not both); with neither, *dst stays as the file or the defaults set it. The value is
// trimmed; an empty file is an error. Messages name the variable and the file, never the value.
func envSecret(get func(string) (string, bool), name string, dst *Secret) error {
	v, hasV := get(name)
	file, hasFile := get(name + "_FILE")
	switch {
	case hasV && hasFile:
		return fmt.Errorf("config: env: set %s or %s_FILE, not both", name, name)
	case hasV:
		*dst = Secret(strings.TrimSpace(v))
	case hasFile:
		s, err := readSecretFile(file)
		if err != nil {
			return fmt.Errorf("config: env %s_FILE: %w", name, err)
		}
		*dst = s
	}
	return nil
}

// readSecretFile returns the trimmed contents of file; an empty file is an error. Errors
// name the file, never its contents.
func readSecretFile(file string) (Secret, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err // the *PathError names the file
	}
	s := Secret(strings.TrimSpace(string(b)))
	if s == "" {
		return "", fmt.Errorf("file %s is empty", file)
	}
	return s, nil
}
