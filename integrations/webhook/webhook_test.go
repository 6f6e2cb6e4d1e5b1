package webhook

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/notifytest"
)

func TestConformance(t *testing.T) {
	const path = "/hook/s3cr3t-token-path"
	notifytest.Run(t, notifytest.Suite{Secrets: []string{"s3cr3t-token-path"},
		New: func(t *testing.T, u string) integrations.Notifier {
			return New(Config{URL: integrations.Secret(u + path)}, nil)
		},
		Handler: func(mode notifytest.Mode, record func(*http.Request, []byte)) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				switch mode {
				case notifytest.Hang:
					notifytest.Block(r)
				case notifytest.ServerError:
					w.WriteHeader(500)
				case notifytest.RateLimited:
					w.Header().Set("Retry-After", "7")
					w.WriteHeader(429)
				case notifytest.Refused:
					w.WriteHeader(410)
				default:
					record(r, body)
				}
			})
		},
		Limits: func(t *testing.T, r *http.Request, body []byte) {
			var b Body
			if err := json.Unmarshal(body, &b); err != nil || b.Schema != Schema || b.Report == nil || len(b.Text.Lines) != 80 {
				t.Errorf("body = %.200s, %v", body, err)
			}
			if r.Header.Get("Idempotency-Key") == "" {
				t.Error("no Idempotency-Key")
			}
		},
	})
}
