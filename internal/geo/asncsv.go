package geo

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// ConvertASNCSV writes a MaxMind-format ASN database (GeoLite2-ASN field names) at dst from
// ip-location-db ASN tables: "first,last,asn,organisation" lines, IPv4 or IPv6, inclusive
// ranges. Ranges inside IPv6 networks aliased to IPv4 (2001::/32 Teredo, 2002::/16 6to4)
// are left out: they say nothing about who runs a network.
// It returns the number of ranges written. About 35 s and 270 MB for the full table on one core.
func ConvertASNCSV(ctx context.Context, dst string, srcs ...string) (int, error) {
	w, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "integritybot-ASN", // any name: readers go by the field names
		Description:  map[string]string{"en": "IP to ASN converted from ip-location-db CSV by integritybot"},
		RecordSize:   28,
		// Kept: callers never look up special-purpose addresses (IsPublic), and tests use the
		// documentation ranges.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		return 0, fmt.Errorf("convert asn: %w", err)
	}
	orgs := map[string]mmdbtype.String{} // one value per organisation: the writer dedupes by value
	n := 0
	for _, src := range srcs {
		k, err := insertASNCSV(ctx, w, src, orgs)
		if err != nil {
			return 0, fmt.Errorf("convert asn %s: %w", filepath.Base(src), err)
		}
		n += k
	}
	if n == 0 {
		return 0, errors.New("convert asn: no ranges")
	}
	tmp := dst + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("convert asn: %w", err)
	}
	_, werr := w.WriteTo(out)
	if err := errors.Join(werr, out.Close()); err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("convert asn: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return 0, fmt.Errorf("convert asn: %w", err)
	}
	return n, nil
}

func insertASNCSV(ctx context.Context, w *mmdbwriter.Tree, src string, orgs map[string]mmdbtype.String) (int, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 4
	r.ReuseRecord = true
	n := 0
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if line%65536 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		first, last := net.ParseIP(rec[0]), net.ParseIP(rec[1])
		asn, aerr := strconv.ParseUint(rec[2], 10, 32)
		if first == nil || last == nil || aerr != nil {
			return n, fmt.Errorf("line %d: want first,last,asn,organisation, got %q", line, rec)
		}
		org, ok := orgs[rec[3]]
		if !ok {
			org = mmdbtype.String(rec[3])
			orgs[rec[3]] = org
		}
		err = w.InsertRange(first, last, mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(asn),
			"autonomous_system_organization": org,
		})
		var aliased *mmdbwriter.AliasedNetworkError
		switch {
		case errors.As(err, &aliased):
			continue
		case err != nil:
			return n, fmt.Errorf("line %d: %w", line, err)
		}
		n++
	}
}
