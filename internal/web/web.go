// Package web holds the hosted room's browser UI as embedded static files: four HTML pages
// (index, candidate, interviewer, report), one stylesheet and vanilla JavaScript modules.
// There is no build step and nothing is loaded from outside the server.
//
// The server mounts Handler at /static/ and maps its routes to pages:
//
//	mux.Handle("GET /static/", web.Handler())
//	mux.Handle("GET /{$}", web.Page(web.Index))
//	mux.Handle("GET /c/{token}", web.Page(web.Candidate))
//	mux.Handle("GET /i/{token}", web.Page(web.Interviewer))
//	mux.Handle("GET /r/{token}", web.Page(web.Report))
//
// Pages read their link token from location.pathname and talk to the API described in
// docs/protocol.md, plus two token-only aliases: the websocket at /api/ws?token= and the
// report JSON at /api/report?token=.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static pages
var files embed.FS

// Page names accepted by Page.
const (
	Index       = "index"
	Candidate   = "candidate"
	Interviewer = "interviewer"
	Report      = "report"
)

// PageNames lists every page.
var PageNames = []string{Index, Candidate, Interviewer, Report}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
}

// ContentSecurityPolicy is sent with every page: only this origin, no inline script or style.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	name  string
	ctype string
	etag  string
	data  []byte
}

func load(name string) (*asset, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	ctype, ok := contentTypes[path.Ext(name)]
	if !ok {
		ctype = "application/octet-stream"
	}
	sum := sha256.Sum256(data)
	return &asset{name: name, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, data: data}, nil
}

func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	// Link tokens live in page URLs: never leak them in a Referer.
	h.Set("Referrer-Policy", "no-referrer")
	if a.ctype == contentTypes[".html"] {
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(self), microphone=(self)")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

var static = func() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		a, err := load(p)
		if err == nil {
			m["/"+p] = a
		}
		return err
	})
	if err != nil {
		panic(err)
	}
	return m
}()

// Handler serves the assets under /static/ (mount it at "/static/" without stripping the prefix).
// Unknown paths get 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		a, ok := static[path.Clean(r.URL.Path)]
		if !ok || !strings.HasPrefix(r.URL.Path, "/static/") {
			http.NotFound(w, r)
			return
		}
		a.ServeHTTP(w, r)
	})
}

// Page returns the handler for one HTML page (Index, Candidate, Interviewer or Report), with
// the options the configuration asks for. It panics for an unknown name, a programming error.
func Page(name string, opts ...PageOption) http.Handler {
	a, err := load("pages/" + name + ".html")
	if err != nil {
		panic(fmt.Sprintf("web: no page %q", name))
	}
	for _, o := range opts {
		a.data = o(name, a.data)
	}
	// Markers no option filled leave nothing behind.
	a.data = bytes.Replace(a.data, []byte(chatMarker+"\n"), nil, 1)
	sum := sha256.Sum256(a.data)
	a.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	return a
}

// chatMarker is where ChatSnapshots puts its sentence in the candidate page.
const chatMarker = "      <!--chat-snapshots-->"

// PageOption changes a page as the configuration asks, before it is served.
type PageOption func(name string, html []byte) []byte

// ConsentChatSentence is what the candidate's consent notice adds when evidence snapshots
// go to the hiring team's chat (ChatSnapshots).
const ConsentChatSentence = `Those snapshots (small stills of your face at the moments a check flags) are also ` +
	`<strong>shared in the hiring team's chat</strong> (Slack or Discord), where that chat's own retention applies.`

// ChatSnapshots is the option for chat.snapshots: true. The candidate's consent notice then
// says that face snapshots are shared with the hiring team's chat; without it the notice
// does not mention chat, and the chat integrations send none (they link to the report page).
func ChatSnapshots() PageOption {
	return func(name string, html []byte) []byte {
		if name != Candidate {
			return html
		}
		return bytes.Replace(html, []byte(chatMarker), []byte(`      <li id="consent-chat">`+ConsentChatSentence+`</li>`), 1)
	}
}
