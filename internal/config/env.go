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
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config: env %s_FILE: %w", name, err) // the *PathError names the file, not its contents
		}
		if *dst = Secret(strings.TrimSpace(string(b))); *dst == "" {
			return fmt.Errorf("config: env %s_FILE: file %s is empty", name, file)
		}
	}
	return nil
}
