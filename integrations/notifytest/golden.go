package notifytest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// Case is one notification whose rendered payload is kept as a golden file.
type Case struct {
	Name    string // the golden file is testdata/<Name>.golden.json
	Message integrations.Message
}

// Cases are the notifications every chat integration keeps golden payloads of: the summary
// of a call with strong concerns (with its snapshot, and with the pictures left on the report
// page), that call's channel message while it ran ("in progress", then after its alert), the
// alert in the thread and told to the interviewer directly, and a clean summary whose
// candidate name carries markup characters. The reports are integrations/testdata/*.report.json.
func Cases(t *testing.T) []Case {
	t.Helper()
	strong, clean := load(t, "strong"), load(t, "clean")
	url := "https://integritybot.example/r/report-token"
	liveStrong := *strong
	liveStrong.State, liveStrong.EndedAt = report.Live, nil
	alert := integrations.Message{Kind: integrations.Alert, Check: report.CheckReplay, Report: &liveStrong, ReportURL: url}
	direct := alert
	direct.Kind = integrations.Direct
	return []Case{
		{"summary-strong", integrations.Message{Kind: integrations.Summary, Report: strong, ReportURL: url}},
		{"summary-strong-pictures-on-page", integrations.Message{Kind: integrations.Summary, Report: strong, ReportURL: url, PicturesOnPage: true}},
		{"live", integrations.Message{Kind: integrations.Live, Report: &liveStrong, ReportURL: url}},
		{"live-after-alert", integrations.Card(alert)},
		{"alert-replay", alert},
		{"direct-replay", direct},
		{"summary-clean", integrations.Message{Kind: integrations.Summary, Report: clean, ReportURL: url}},
	}
}

func load(t *testing.T, name string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name+".report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s.report.json: %v", name, err)
	}
	r.Explain()
	return &r
}

// Golden compares payload, as indented JSON, with testdata/<name>.golden.json; with update it
// rewrites the file instead. Review a changed golden file like code: it is what people read
// in their chat.
func Golden(t *testing.T, name string, payload any, update bool) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(payload); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file; if the change is meant, run go test -update and review the diff.\ngot:\n%s", path, buf.Bytes())
	}
}

// RunGolden renders every case of Cases with render (which may check the platform's limits)
// and compares the payload with its golden file, or rewrites it with update.
func RunGolden(t *testing.T, update bool, render func(t *testing.T, c Case) any) {
	for _, c := range Cases(t) {
		t.Run(c.Name, func(t *testing.T) { Golden(t, c.Name, render(t, c), update) })
	}
}
