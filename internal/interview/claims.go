package interview

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// maxClaim bounds the candidate's name and claimed location, in bytes.
const maxClaim = 200

// CheckClaims trims the candidate's claims and checks them: the one validation of what the
// interviewer says about the candidate, for the API, the chat commands, join and analyze
// --claims. prefix names the claims' parent in messages ("candidate." for the API's JSON).
// The name may be empty here; Create requires it. Every problem is reported at once.
func CheckClaims(c *report.Candidate, prefix string) error {
	c.Name = strings.TrimSpace(c.Name)
	c.ClaimedLocation = strings.TrimSpace(c.ClaimedLocation)
	c.ClaimedTimezone = strings.TrimSpace(c.ClaimedTimezone)
	var errs []error
	if len(c.Name) > maxClaim || len(c.ClaimedLocation) > maxClaim {
		errs = append(errs, fmt.Errorf("%sname and %sclaimed_location are limited to %d characters", prefix, prefix, maxClaim))
	}
	if c.ClaimedTimezone != "" {
		if err := CheckZone(c.ClaimedTimezone); err != nil {
			errs = append(errs, fmt.Errorf("%sclaimed_timezone %w", prefix, err))
		}
	}
	return errors.Join(errs...)
}

// CheckZone accepts IANA zone names only ("America/Chicago", "UTC", "Etc/GMT+5"). It refuses
// what time.LoadLocation accepts without being a place: "Local" (this machine's zone, never
// the candidate's), "localtime" and "posixrules" (files of the system's zoneinfo) and the
// posix/ and right/ copies of the database, as well as names that do not load. The error
// reads after the field's name: "must be an IANA zone such as America/Chicago (...)".
func CheckZone(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("must be an IANA zone such as America/Chicago (%q %s)", name, why)
	}
	switch name {
	case "Local":
		return bad("is the server's own zone, not the candidate's")
	case "localtime", "posixrules", "Factory":
		return bad("names no place")
	}
	if len(name) > 64 {
		return bad("is too long")
	}
	parts := strings.Split(name, "/")
	if parts[0] == "posix" || parts[0] == "right" {
		return bad("is a copy of the database, not a zone")
	}
	for _, p := range parts {
		if !zoneWord(p) {
			return bad("is not a zone name")
		}
	}
	if _, err := time.LoadLocation(name); err != nil {
		return bad("is not a known zone")
	}
	return nil
}

// zoneWord reports whether p can be one part of an IANA zone name: a letter, then letters,
// digits, '_', '-' or '+' ("Port-au-Prince", "GMT+5", "Ho_Chi_Minh").
func zoneWord(p string) bool {
	if p == "" || !isLetter(p[0]) {
		return false
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		if !isLetter(c) && (c < '0' || c > '9') && c != '_' && c != '-' && c != '+' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
