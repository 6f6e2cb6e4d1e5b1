package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// ManifestFile is the record of what `integritybot geo update` installed, in its folder.
const ManifestFile = "geoip.json"

// ManifestSchema versions ManifestFile.
const ManifestSchema = "integritybot.geodata/v1"

// Manifest lists the packages installed in a folder.
type Manifest struct {
	Schema   string      `json:"schema"`
	Packages []Installed `json:"packages"`
}

// Installed is one installed package: what, which exact tarball, under which licence.
type Installed struct {
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Integrity   string    `json:"integrity"`
	SHA256      string    `json:"sha256"`
	Title       string    `json:"title"`
	Licence     string    `json:"licence"`
	Attribution string    `json:"attribution"`
	InstalledAt time.Time `json:"installed_at"`
	Files       []File    `json:"files"` // Path relative to the folder
}

// ReadManifest reads dir's manifest; a folder without one gives an error wrapping
// os.ErrNotExist.
func ReadManifest(dir string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return Manifest{}, fmt.Errorf("geo: read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("geo: read manifest %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Schema != ManifestSchema {
		return Manifest{}, fmt.Errorf("geo: read manifest %s: schema %q, want %q", filepath.Join(dir, ManifestFile), m.Schema, ManifestSchema)
	}
	return m, nil
}

func (m *Manifest) put(p Installed) {
	m.Schema = ManifestSchema
	m.Packages = slices.DeleteFunc(m.Packages, func(q Installed) bool { return q.Name == p.Name })
	m.Packages = append(m.Packages, p)
}

// current reports whether p's pinned version is installed in dir with all its files.
func (m Manifest) current(dir string, p Package) bool {
	for _, q := range m.Packages {
		if q.Name != p.Name || q.Version != p.Version || q.Integrity != p.Integrity {
			continue
		}
		for _, f := range q.Files {
			if _, err := os.Stat(filepath.Join(dir, f.Path)); err != nil {
				return false
			}
		}
		return len(q.Files) > 0
	}
	return false
}

// write replaces dir's manifest atomically.
func (m Manifest) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("geo: write manifest: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".geoip-*.json")
	if err != nil {
		return fmt.Errorf("geo: write manifest: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	merr := tmp.Chmod(0o644) // CreateTemp makes 0600; the data is public
	cerr := tmp.Close()
	if err := errors.Join(werr, merr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("geo: write manifest: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, ManifestFile)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("geo: write manifest: %w", err)
	}
	return nil
}

// Source says where a lookup's data comes from: the configured files and the installed
// packages that were used, for messages and attribution.
type Source struct {
	Configured []File      // files named in the configuration
	Installed  []Installed // installed packages used (a configured file of the same kind wins)
	Dir        string      // the folder of installed data
}

// Resolve adds the data installed in dir (if any) to cfg: an installed kind is used only
// where cfg configures nothing of that kind (a configured country or city file excludes
// installed country and city data; a configured ASN file excludes installed ASN data).
// A missing or unreadable manifest means no installed data; its error is returned for
// messages, with cfg unchanged.
func Resolve(cfg Config, dir string) (Config, Source, error) {
	src := Source{Configured: cfg.Files(), Dir: dir}
	if dir == "" {
		return cfg, src, nil
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return cfg, src, err
	}
	hasLoc := cfg.CountryDB != "" || cfg.CityDB != ""
	for _, p := range m.Packages {
		used := false
		for _, f := range p.Files {
			if (f.Kind == KindASN && cfg.ASNDB != "") || (f.Kind != KindASN && hasLoc) {
				continue
			}
			cfg.More = append(cfg.More, File{Kind: f.Kind, Path: filepath.Join(dir, f.Path)})
			used = true
		}
		if used {
			src.Installed = append(src.Installed, p)
		}
	}
	return cfg, src, nil
}
