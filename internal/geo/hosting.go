package geo

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

//go:embed hosting.txt
var defaultHosting string

// Hosting is a list of hosting, cloud, VPN and proxy networks: AS numbers and address ranges.
type Hosting struct {
	asns   map[uint32]string
	ranges []hostingRange
}

type hostingRange struct {
	p     netip.Prefix
	label string
}

// LoadHosting returns the embedded default list (hosting.txt) plus the entries of each file.
func LoadHosting(files ...string) (*Hosting, error) {
	h := &Hosting{asns: map[uint32]string{}}
	if err := h.Parse(strings.NewReader(defaultHosting), "hosting.txt (embedded)"); err != nil {
		return nil, err
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			return nil, fmt.Errorf("geo: hosting list: %w", err)
		}
		err = h.Parse(fh, f)
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Parse adds the entries of r ("AS123 label" or "CIDR label" lines, "#" comments); name
// appears in errors.
func (h *Hosting) Parse(r io.Reader, name string) error {
	if h.asns == nil {
		h.asns = map[uint32]string{}
	}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		key, label, _ := strings.Cut(strings.TrimSpace(line), " ")
		label = strings.TrimSpace(label)
		if key == "" {
			continue
		}
		if label == "" {
			label = key
		}
		if num, ok := strings.CutPrefix(strings.ToUpper(key), "AS"); ok {
			v, err := strconv.ParseUint(num, 10, 32)
			if err != nil || v == 0 {
				return fmt.Errorf("geo: %s:%d: %q is not an AS number", name, n, key)
			}
			h.asns[uint32(v)] = label
			continue
		}
		p, err := netip.ParsePrefix(key)
		if err != nil {
			return fmt.Errorf("geo: %s:%d: %q is neither AS<number> nor a CIDR", name, n, key)
		}
		h.ranges = append(h.ranges, hostingRange{p.Masked(), label})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("geo: %s: %w", name, err)
	}
	return nil
}

// Match returns the label of the hosting network addr or asn belongs to.
func (h *Hosting) Match(addr netip.Addr, asn uint32) (string, bool) {
	if h == nil {
		return "", false
	}
	addr = addr.Unmap()
	for _, r := range h.ranges {
		if r.p.Contains(addr) {
			return r.label, true
		}
	}
	if asn != 0 {
		if l, ok := h.asns[asn]; ok {
			return l, true
		}
	}
	return "", false
}
