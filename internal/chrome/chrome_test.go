package chrome

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testPage = `<!doctype html><html><head><title>t</title></head><body>
<button id="b" onclick="this.textContent = 'clicked'; console.log('button', 'clicked', 42)">press</button>
<script>console.log("hello from page");</script>
</body></html>`

func launch(t *testing.T, opt Options) *Browser {
	t.Helper()
	if _, err := Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	opt.Log = LineWriter(t.Log)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Launch(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return b
}

func server(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(testPage))
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on 127.0.0.1: %s", srv.URL)
	}
	return srv
}

func open(t *testing.T, b *Browser, url string) (*Page, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	p, err := b.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range p.Console() {
				t.Log("console: " + l)
			}
		}
	})
	return p, ctx
}

func TestPage(t *testing.T) {
	b := launch(t, Options{})
	srv := server(t)
	p, ctx := open(t, b, srv.URL+"/")

	if err := p.Click(ctx, "#b"); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.querySelector("#b").textContent === "clicked"`, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := p.Click(ctx, "#missing"); err == nil || !strings.Contains(err.Error(), "no element matches") {
		t.Errorf("click on missing element: %v", err)
	}

	raw, err := p.Eval(ctx, `new Promise(r => setTimeout(() => r({n: 6 * 7, s: "ok"}), 30))`)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		N int
		S string
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.N != 42 || v.S != "ok" {
		t.Errorf("eval promise = %s (%v)", raw, err)
	}
	if raw, err := p.Eval(ctx, `undefined`); err != nil || string(raw) != "null" {
		t.Errorf("eval undefined = %s, %v", raw, err)
	}

	_, err = p.Eval(ctx, `(() => { throw new Error("boom here") })()`)
	if err == nil || !strings.Contains(err.Error(), "boom here") {
		t.Errorf("thrown exception: err = %v", err)
	}
	_, err = p.Eval(ctx, `Promise.reject(new TypeError("rejected there"))`)
	if err == nil || !strings.Contains(err.Error(), "rejected there") {
		t.Errorf("rejected promise: err = %v", err)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err = p.WaitFor(short, `window.neverSet || 0`, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "value 0") {
		t.Errorf("WaitFor timeout error should carry the last value: %v", err)
	}

	p.Eval(ctx, `setTimeout(() => { throw new Error("uncaught later") }, 0)`)
	if err := p.WaitFor(ctx, `new Promise(r => setTimeout(() => r(true), 100))`, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	con := strings.Join(p.Console(), "\n")
	for _, want := range []string{"log: hello from page", "log: button clicked 42", "uncaught later"} {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q:\n%s", want, con)
		}
	}
}

func TestFakeDevices(t *testing.T) {
	b := launch(t, Options{FakeDevices: true})
	p, ctx := open(t, b, server(t).URL+"/")
	raw, err := p.Eval(ctx, `navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true})
  .then(s => ({video: s.getVideoTracks().length, audio: s.getAudioTracks().length,
               label: s.getVideoTracks()[0].label, state: s.getVideoTracks()[0].readyState}))`)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Video, Audio int
		Label, State string
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Video != 1 || r.Audio != 1 || r.State != "live" {
		t.Errorf("getUserMedia = %+v", r)
	}
	t.Logf("fake camera: %+v", r)
}

func TestDenyMedia(t *testing.T) {
	b := launch(t, Options{DenyMedia: true})
	p, ctx := open(t, b, server(t).URL+"/")
	raw, err := p.Eval(ctx, `navigator.mediaDevices.getUserMedia({video: true})
  .then(() => "granted", e => "rejected: " + e.name)`)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	json.Unmarshal(raw, &s)
	if !strings.HasPrefix(s, "rejected: ") {
		t.Errorf("getUserMedia with DenyMedia: %s", s)
	}
	t.Log(s)
}

func TestAvailableMessage(t *testing.T) {
	t.Setenv("CHROMIUM", "/nonexistent/chromium")
	if _, err := Available(); err == nil || !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Errorf("Available() = %v", err)
	}
}
