package check

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/geo"
)

// Without location data the network check tells the interviewer so in plain words; what the
// operator must configure stays in the evidence, never in the next step.
func TestNetworkWithoutLocationData(t *testing.T) {
	m := NewMeta(Env{Places: geo.NewGazetteer()}, austin(), july)
	m.HTTPAddr(netip.MustParseAddr("8.8.8.8"), july)
	m.Pair(netip.MustParseAddr("8.8.8.8"), "srflx", 110*time.Millisecond, july)
	r := networkCheck{m}.Result(time.Minute)
	if r.Summary != "Could not check the network: location data is not installed on this server." {
		t.Errorf("summary %q", r.Summary)
	}
	for _, w := range []string{"GeoIP", "Configure", "database", "geo."} {
		if strings.Contains(r.NextStep, w) || strings.Contains(r.Summary, w) {
			t.Errorf("summary/next step name the operator's %q: %q / %q", w, r.Summary, r.NextStep)
		}
	}
	if !hasKind(r, "not_checked") {
		t.Error("no not_checked evidence for the operator")
	}
}

// After the call, checks that never got data say so as final, not as "yet".
func TestMetaFinalWording(t *testing.T) {
	m := NewMeta(Env{}, austin(), july)
	checks := m.Checks()
	checks[0].(timezoneCheck).Finish(time.Minute) // one Finish marks the whole Meta
	for _, c := range checks {
		r := c.Result(time.Minute)
		if !strings.HasPrefix(r.Summary, "Not checked:") || strings.Contains(r.Summary, "yet") || strings.Contains(r.Summary, "has not") {
			t.Errorf("%s after the call: %q", r.ID, r.Summary)
		}
	}
}
