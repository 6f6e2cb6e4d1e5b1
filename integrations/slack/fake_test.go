package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/slack-go/slack/slacktest"
)

// fakeSlack records what the real slack-go client sends to a slacktest server: messages
// (with their blocks and thread), edits, direct-message conversations opened, uploaded files
// and completed uploads. fail, when set, answers a Web API call instead (outages); deleted
// makes chat.update of a message answer message_not_found (deleted in the channel).
type fakeSlack struct {
	mu        sync.Mutex
	posts     []url.Values // accepted chat.postMessage calls
	attempts  int          // all chat.postMessage calls
	updates   []url.Values // accepted chat.update calls
	opens     []url.Values // conversations.open calls
	deleted   map[string]bool
	uploads   [][]byte
	completes []url.Values
	// fail returns a status (0 = answer normally), headers and body for a call to method.
	fail func(method string, attempt int) (int, http.Header, string)
}

func (f *fakeSlack) bind(c slacktest.Customize) {
	c.Handle("/chat.postMessage", f.api("chat.postMessage", func(v url.Values, r *http.Request) any {
		f.posts = append(f.posts, v)
		ch := "C0CHANNEL"
		if strings.HasPrefix(v.Get("channel"), "D") {
			ch = v.Get("channel")
		}
		return map[string]any{"ok": true, "channel": ch, "ts": fmt.Sprintf("1700000000.%06d", len(f.posts))}
	}))
	c.Handle("/chat.update", f.api("chat.update", func(v url.Values, r *http.Request) any {
		if f.deleted[v.Get("ts")] {
			return map[string]any{"ok": false, "error": "message_not_found"}
		}
		f.updates = append(f.updates, v)
		return map[string]any{"ok": true, "channel": v.Get("channel"), "ts": v.Get("ts"), "text": v.Get("text")}
	}))
	c.Handle("/conversations.open", f.api("conversations.open", func(v url.Values, r *http.Request) any {
		f.opens = append(f.opens, v)
		return map[string]any{"ok": true, "channel": map[string]any{"id": "D0DIRECT"}}
	}))
	c.Handle("/files.getUploadURLExternal", f.api("files.getUploadURLExternal", func(v url.Values, r *http.Request) any {
		return map[string]any{"ok": true, "upload_url": "http://" + r.Host + "/upload", "file_id": "F0SNAP"}
	}))
	c.Handle("/upload", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.fail != nil {
			if code, h, body := f.fail("upload", len(f.uploads)); code != 0 {
				writeRaw(w, code, h, body)
				return
			}
		}
		file, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(file)
		f.uploads = append(f.uploads, b)
		_, _ = w.Write([]byte("OK"))
	})
	c.Handle("/files.completeUploadExternal", f.api("files.completeUploadExternal", func(v url.Values, r *http.Request) any {
		f.completes = append(f.completes, v)
		return map[string]any{"ok": true, "files": []map[string]string{{"id": "F0SNAP", "title": v.Get("files")}}}
	}))
}

// handler is the fake as a plain handler (for httptest servers).
func (f *fakeSlack) handler() http.Handler {
	mux := &muxCustomize{mux: http.NewServeMux()}
	f.bind(mux)
	return mux.mux
}

type muxCustomize struct{ mux *http.ServeMux }

func (m *muxCustomize) Handle(p string, h http.HandlerFunc) { m.mux.HandleFunc(p, h) }

func (f *fakeSlack) api(method string, ok func(url.Values, *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if method == "chat.postMessage" {
			f.attempts++
		}
		if f.fail != nil {
			if code, h, body := f.fail(method, f.attempts); code != 0 {
				writeRaw(w, code, h, body)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ok(r.PostForm, r))
	}
}

func writeRaw(w http.ResponseWriter, code int, h http.Header, body string) {
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// remove deletes message ts in the channel: edits of it fail from now on.
func (f *fakeSlack) remove(ts string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleted == nil {
		f.deleted = map[string]bool{}
	}
	f.deleted[ts] = true
}

// edits returns the accepted chat.update calls and the conversations.open calls.
func (f *fakeSlack) edits() (updates, opens []url.Values) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.updates...), append([]url.Values(nil), f.opens...)
}

func (f *fakeSlack) snapshot() (posts []url.Values, uploads [][]byte, completes []url.Values, attempts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.posts...), append([][]byte(nil), f.uploads...),
		append([]url.Values(nil), f.completes...), f.attempts
}
