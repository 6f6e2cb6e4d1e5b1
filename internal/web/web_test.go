package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// newMux maps routes the way the server does (see the package doc).
func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", Handler())
	mux.Handle("GET /{$}", Page(Index))
	mux.Handle("GET /c/{token}", Page(Candidate))
	mux.Handle("GET /i/{token}", Page(Interviewer))
	mux.Handle("GET /r/{token}", Page(Report))
	return mux
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// requiredIDs are the element ids other code and tests rely on, per page.
var requiredIDs = map[string][]string{
	"/": {"candidate-name", "claimed-location", "claimed-timezone", "notes", "create-interview",
		"links", "candidate-link", "interviewer-link", "report-link", "interviews", "api-token",
		"call-hosted", "call-whep", "call-livekit", "join-whep", "join-bearer", "join-livekit-room", "join-livekit-url",
		"join-livekit-candidate"},
	"/c/tok": {"consent", "consent-accept", "consent-decline", "retention-days", "local-video", "remote-video",
		"media-notice", "status", "ended-notice", "unmute-remote", "challenge", "challenge-text"},
	"/i/tok": {"remote-video", "local-video", "checks", "candidate-state", "coverage", "end-interview",
		"ended-notice", "report-page-link", "live-overall", "unmute-remote", "liveness-check", "liveness-status"},
	"/r/tok": {"overall", "checks", "timeline", "coverage", "download-json"},
}

var (
	idAttr    = regexp.MustCompile(`\bid="([^"]+)"`)
	scriptSrc = regexp.MustCompile(`<script type="module" src="(/static/[^"]+)"`)
	cssHref   = regexp.MustCompile(`<link rel="stylesheet" href="(/static/[^"]+)"`)
	// outLink is a link a person may follow (the data attribution); it loads nothing.
	outLink  = regexp.MustCompile(`<a href="https://[^"]+" rel="noopener noreferrer">`)
	importRe = regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?from\s+'\./([^']+)'`)
	dollarRe = regexp.MustCompile(`\$\('([a-z0-9-]+)'\)`)
)

func TestPages(t *testing.T) {
	srv := httptest.NewServer(newMux())
	defer srv.Close()
	for path, ids := range requiredIDs {
		res, body := get(t, srv, path)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, res.Status)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: missing CSP or Referrer-Policy", path)
		}
		have := map[string]int{}
		for _, m := range idAttr.FindAllStringSubmatch(body, -1) {
			have[m[1]]++
		}
		for _, id := range ids {
			if have[id] == 0 {
				t.Errorf("%s: no element with id %q", path, id)
			}
		}
		for id, n := range have {
			if n > 1 {
				t.Errorf("%s: id %q used %d times", path, id, n)
			}
		}
		if b := outLink.ReplaceAllString(body, ""); strings.Contains(b, "http://") || strings.Contains(b, "https://") {
			t.Errorf("%s: references an external URL (the machine is offline)", path)
		}
		if strings.Contains(body, " style=\"") || strings.Contains(body, "<script>") || strings.Contains(body, "onclick=") {
			t.Errorf("%s: inline style or script would be blocked by the CSP", path)
		}

		// Every module reachable from the page is served as JavaScript, and every $('id') it
		// uses exists in the page.
		css := cssHref.FindStringSubmatch(body)
		if css == nil {
			t.Errorf("%s: no stylesheet", path)
		} else {
			assetOK(t, srv, css[1], "text/css; charset=utf-8")
		}
		scripts := scriptSrc.FindAllStringSubmatch(body, -1)
		if len(scripts) != 1 {
			t.Fatalf("%s: want one module script, found %d", path, len(scripts))
		}
		seen := map[string]bool{}
		queue := []string{scripts[0][1]}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if seen[p] {
				continue
			}
			seen[p] = true
			js := assetOK(t, srv, p, "text/javascript; charset=utf-8")
			for _, m := range importRe.FindAllStringSubmatch(js, -1) {
				queue = append(queue, "/static/"+m[1])
			}
			for _, m := range dollarRe.FindAllStringSubmatch(js, -1) {
				if have[m[1]] == 0 {
					t.Errorf("%s: %s looks up #%s, which the page lacks", path, p, m[1])
				}
			}
		}
	}
}

func assetOK(t *testing.T, srv *httptest.Server, path, ctype string) string {
	t.Helper()
	res, body := get(t, srv, path)
	if res.StatusCode != 200 {
		t.Errorf("GET %s: %s", path, res.Status)
		return ""
	}
	if ct := res.Header.Get("Content-Type"); ct != ctype {
		t.Errorf("GET %s: Content-Type %q, want %q", path, ct, ctype)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET %s: Cache-Control %q", path, cc)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: no nosniff", path)
	}
	return body
}

func TestStatic(t *testing.T) {
	srv := httptest.NewServer(newMux())
	defer srv.Close()
	for name := range static {
		ct := contentTypes[name[strings.LastIndex(name, "."):]]
		assetOK(t, srv, name, ct)
	}
	for _, p := range []string{"/static/", "/static/nope.js", "/static/../pages/index.html"} {
		res, _ := get(t, srv, p)
		if res.StatusCode != 404 {
			t.Errorf("GET %s: %s, want 404", p, res.Status)
		}
	}
	// Revalidation with the ETag.
	req, _ := http.NewRequest("GET", srv.URL+"/static/style.css", nil)
	req.Header.Set("If-None-Match", static["/static/style.css"].etag)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %s, want 304", res.Status)
	}
}

func TestPageUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Page(\"nope\") did not panic")
		}
	}()
	Page("nope")
}

func TestConsentText(t *testing.T) {
	srv := httptest.NewServer(newMux())
	defer srv.Close()
	_, body := get(t, srv, "/c/tok")
	consent := body[strings.Index(body, `id="consent"`):strings.Index(body, `id="declined"`)]
	for _, want := range []string{"integritybot", "camera video", "replayed or manipulated", "timing and network",
		"does not decide anything", "person reviews", "No raw video is recorded", "retention-days", "consent-accept", "I agree, join the interview"} {
		if !strings.Contains(consent, want) {
			t.Errorf("consent notice lacks %q", want)
		}
	}
	if strings.Index(body, `id="consent"`) > strings.Index(body, `id="local-video"`) {
		t.Error("the consent notice must come before the room")
	}
}

// TestConsentChatSnapshots: with ChatSnapshots the consent notice says, inside the notice and
// before the buttons, that face snapshots are shared in the hiring team's chat; without it
// nothing in the page mentions chat. Other pages are unchanged by the option.
func TestConsentChatSnapshots(t *testing.T) {
	for _, on := range []bool{false, true} {
		var opts []PageOption
		if on {
			opts = append(opts, ChatSnapshots())
		}
		rec := httptest.NewRecorder()
		Page(Candidate, opts...).ServeHTTP(rec, httptest.NewRequest("GET", "/c/tok", nil))
		body := rec.Body.String()
		consent := body[strings.Index(body, `id="consent"`):strings.Index(body, `id="consent-accept"`)]
		if got := strings.Contains(consent, `<li id="consent-chat">`+ConsentChatSentence+`</li>`); got != on {
			t.Errorf("ChatSnapshots %v: the notice says snapshots go to chat: %v", on, got)
		}
		if !on && strings.Contains(strings.ToLower(body), "chat") {
			t.Error("without ChatSnapshots the candidate page mentions chat")
		}
		plain, with := httptest.NewRecorder(), httptest.NewRecorder()
		Page(Report).ServeHTTP(plain, httptest.NewRequest("GET", "/r/tok", nil))
		Page(Report, opts...).ServeHTTP(with, httptest.NewRequest("GET", "/r/tok", nil))
		if plain.Body.String() != with.Body.String() || plain.Header().Get("ETag") != with.Header().Get("ETag") {
			t.Error("ChatSnapshots changed the report page")
		}
	}
}
