package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
)

// Screenshot tests: the report page and both room pages in real Chromium at desktop width
// and at 390 px (a phone), and the report as printed. Each asserts what a reader needs (no
// sideways scrolling, axis labels apart, pictures large with descriptive alt text, a visible
// countdown, one announcement per change, a focus ring that shows, two printed pages for a
// 30-minute call); with UPDATE_SCREENSHOTS=1 they also write the pictures docs/pages.md shows.

// viewports are the widths every page is checked at.
var viewports = []struct {
	name          string
	width, height int
	mobile        bool
}{
	{"desktop", 1280, 900, false},
	{"390", 390, 844, true},
}

// shotDir is where UPDATE_SCREENSHOTS=1 writes the pictures.
const shotDir = "../../docs/screenshots"

// paletteSize is how many colours a committed screenshot keeps.
const paletteSize = 64

// launchFor is launchBrowser with a longer bound: these tests visit many pages in one browser.
// The bound is a guard against a hang, not a measure of speed.
func launchFor(t *testing.T, opt chrome.Options) *e2e {
	t.Helper()
	if _, err := chrome.Available(); err != nil {
		t.Skipf("skipping browser test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	opt.Log = chrome.LineWriter(func(args ...any) {})
	b, err := chrome.Launch(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &e2e{t: t, b: b, ctx: ctx}
}

// openAt opens url in a new tab laid out at the viewport's size from the first paint.
func (e *e2e) openAt(url string, width, height int, mobile bool) *chrome.Page {
	e.t.Helper()
	p := e.open("about:blank")
	if err := p.SetViewport(e.ctx, width, height, mobile); err != nil {
		e.t.Fatal(err)
	}
	if err := p.Navigate(e.ctx, url); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// truthy fails the test with msg unless the JavaScript expression is true now.
func (e *e2e) truthy(p *chrome.Page, expr, msg string) {
	e.t.Helper()
	var ok bool
	e.eval(p, `!!(`+expr+`)`, &ok)
	if !ok {
		e.t.Errorf("%s (%s)", msg, expr)
	}
}

// noSideways asserts the page does not scroll sideways at its viewport width.
func (e *e2e) noSideways(p *chrome.Page, what string) {
	e.t.Helper()
	var w struct{ Scroll, Inner int }
	e.eval(p, `({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`, &w)
	if w.Scroll > w.Inner {
		var wide []string
		e.eval(p, `[...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
			.slice(0, 8).map(el => el.tagName + "#" + el.id + "." + el.className + " " + Math.round(el.getBoundingClientRect().right))`, &wide)
		e.t.Errorf("%s: page is %d px wide in a %d px viewport; too wide: %v", what, w.Scroll, w.Inner, wide)
	}
}

// shot writes the page as docs/screenshots/name.png when UPDATE_SCREENSHOTS is set.
func (e *e2e) shot(p *chrome.Page, name string, full bool) {
	e.t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	var raw []byte
	var err error
	if full {
		raw, err = p.FullScreenshot(e.ctx)
	} else {
		raw, err = p.Screenshot(e.ctx)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	small, err := shrinkPNG(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shotDir, name+".png"), small, 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("wrote %s.png (%d KB)", name, len(small)>>10)
}

// shrinkPNG re-encodes a screenshot with a palette of its most used colours (paletteSize):
// pages are mostly flat colour, and the committed pictures stay small.
func shrinkPNG(raw []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decode screenshot: %w", err)
	}
	b := img.Bounds()
	count := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	cols := make([]color.RGBA, 0, len(count))
	for c := range count {
		cols = append(cols, c)
	}
	sort.Slice(cols, func(i, j int) bool {
		if count[cols[i]] != count[cols[j]] {
			return count[cols[i]] > count[cols[j]]
		}
		return fmt.Sprint(cols[i]) < fmt.Sprint(cols[j])
	})
	pal := make(color.Palette, 0, paletteSize)
	for _, c := range cols[:min(paletteSize, len(cols))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	near := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := near[c]
			if !ok {
				i = uint8(pal.Index(c))
				near[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("encode screenshot: %w", err)
	}
	return buf.Bytes(), nil
}

// loopPair gives loop evidence its two pictures, as media/replay makes them: the frame the
// loop was found on and the same picture one loop later, with their times.
func loopPair(e map[string]any, at, again float64) map[string]any {
	e["snapshots"] = []any{map[string]any{"at_s": at, "snapshot": e["snapshot"]}, map[string]any{"at_s": again, "snapshot": e["snapshot"]}}
	return e
}

// thirtyMinuteReport is a final report of a 30-minute call with every check, evidence with
// pictures, a loop, and 30 call events: what a printed report must fit on two pages.
func thirtyMinuteReport() map[string]any {
	snap := sampleSnapshot()
	ev := func(at, until float64, kind, detail string, pic bool) map[string]any {
		e := map[string]any{"at_s": at, "kind": kind, "detail": detail}
		if until > at {
			e["until_s"] = until
		}
		if pic {
			e["snapshot"] = snap
		}
		return e
	}
	check := func(id, status string, conf float64, summary, next string, evidence ...map[string]any) map[string]any {
		c := map[string]any{"id": id, "status": status, "confidence": conf, "summary": summary, "evidence": evidence}
		if next != "" {
			c["next_step"] = next
		}
		return c
	}
	var faceEv []map[string]any
	for i := range 6 {
		at := float64(120 + i*260)
		faceEv = append(faceEv, ev(at, at+14, "face_small", fmt.Sprintf("The face was about 36 px wide from %.0f s to %.0f s, too small to judge well.", at, at+14), i == 0))
	}
	checks := []any{
		check("camera", "pass", 0.95, "The camera was on: 29:40 of live, moving video with no problems found.", "",
			ev(0, 1790, "live", "Live video from 00:10 to 29:50.", false),
			ev(640, 652, "frozen", "The picture did not change for 12 s.", true)),
		check("face", "warn", 0.7, "A face was in view for 97% of the analyzed video, but it was too small to judge well for 1:24.",
			"Ask the candidate to move closer to the camera.", faceEv...),
		check("face_swap", "pass", 0.6, "No sign of a swapped face in 28 minutes of face video.", "",
			ev(10, 1790, "model", "Face-swap model: every window below its threshold.", false)),
		check("replay", "fail", 0.85, "From 12:10 to 12:40 the video repeated itself every 3.0 seconds, as a looped recording does.",
			"Ask the candidate to wave a hand next to their face now, and watch whether the picture follows.",
			loopPair(ev(730, 760, "loop", "The picture matched itself 3.0 s earlier, frame for frame, for 30 s.", true), 733.4, 736.4),
			ev(1210, 1222, "loop", "The picture matched itself 3.0 s earlier for 12 s.", true)),
		check("liveness", "pass", 0.8, "The candidate answered 4 of 4 liveness prompt(s) the way a live face does.", "",
			ev(300, 304, "responded", "Prompt \"turn left to full profile\": the face was lost for 1.6 s, as a live face turned away is.", false),
			ev(306, 310, "responded", "Prompt \"turn right to full profile\": the face was lost for 1.4 s.", false),
			ev(312, 317, "responded", "Prompt \"hand across the face\": the face was hidden for 0.8 s.", false),
			ev(319, 323, "responded", "Prompt \"come closer\": the face grew 1.6 times wider.", false),
			ev(10, 1790, "pulse", "A pulse of about 70 beats a minute was found in the face skin. Supporting evidence only.", false),
			ev(10, 1790, "blinks", "412 blinks in 28 minutes of a visible face. Supporting evidence only.", false)),
		check("virtual_camera", "pass", 0.3, "Camera \"HD Pro Webcam C920\" does not name known virtual camera software.", "",
			ev(2, 0, "camera_label", "Camera label \"HD Pro Webcam C920\".", false)),
		check("timezone", "warn", 0.6, "Browser timezone Asia/Seoul; the candidate said America/Chicago: 15 hours apart.",
			"Ask the candidate what time it is for them and where they are working from today.",
			ev(3, 0, "timezone_mismatch", "Browser Asia/Seoul (UTC+09:00), claimed America/Chicago (UTC−06:00).", false)),
		check("network", "unknown", 0, "Could not check the network: location data is not installed on this server.", "",
			ev(3, 0, "not_checked", "Not checked: no country database is configured (geo.country_db or geo.city_db).", false)),
	}
	var timeline []any
	for i := range 30 {
		at := float64(i * 60)
		kind, detail := "track", "The candidate's camera was muted."
		switch {
		case i == 0:
			kind, detail = "joined", "candidate joined the call."
		case i == 29:
			kind, detail = "ended", "The interviewer ended the interview."
		case i%2 == 0:
			detail = "The candidate's camera was unmuted."
		}
		timeline = append(timeline, map[string]any{"at_s": at + 5, "kind": kind, "detail": detail})
	}
	return map[string]any{
		"schema": "integritybot.report/v1", "interview_id": "iv1", "state": "final",
		"candidate":  map[string]any{"name": "Ada Lovelace", "claimed_location": "Austin, TX", "claimed_timezone": "America/Chicago"},
		"started_at": "2026-01-02T10:00:00Z", "ended_at": "2026-01-02T10:30:00Z",
		"coverage": map[string]any{"video_seconds": 1790, "frames_decoded": 53700, "frames_analyzed": 8950, "frames_dropped": 12},
		"overall":  "strong_concerns",
		"why": []any{
			map[string]any{"check": "replay", "status": "fail", "summary": "From 12:10 to 12:40 the video repeated itself every 3.0 seconds, as a looped recording does."},
			map[string]any{"check": "face", "status": "warn", "summary": "A face was in view for 97% of the analyzed video, but it was too small to judge well for 1:24."},
			map[string]any{"check": "timezone", "status": "warn", "summary": "Browser timezone Asia/Seoul; the candidate said America/Chicago: 15 hours apart."},
		},
		"next_step":   "Ask the candidate to wave a hand next to their face now, and watch whether the picture follows.",
		"not_checked": []any{"network"},
		"checks":      checks,
		"timeline":    timeline,
		"delivery": []any{map[string]any{"notifier": "slack", "target": "#hiring", "kind": "summary", "state": "delivered",
			"delivered_at": "2026-01-02T10:30:02Z", "attempts": 1}},
	}
}

// pdfPages counts the pages of a PDF from its page tree's /Count.
func pdfPages(pdf []byte) (int, error) {
	m := regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b`).FindSubmatch(pdf)
	if m == nil {
		return 0, fmt.Errorf("no page tree in %d bytes of PDF", len(pdf))
	}
	n := m[1]
	if len(n) == 0 {
		n = m[2]
	}
	return strconv.Atoi(string(n))
}

// serveNotes adds the interviewer's notes endpoint to the fake server.
func serveNotes(f *fakeServer, notes string) {
	f.srv.Config.Handler.(*http.ServeMux).HandleFunc("GET /api/interviews/{id}/notes", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer intv-tok" {
			writeJSON(w, 403, map[string]any{"error": "interviewers only"})
			return
		}
		writeJSON(w, 200, map[string]any{"notes": notes})
	})
}

func TestReportPageScreens(t *testing.T) {
	e := launchFor(t, chrome.Options{Env: []string{"TZ=Europe/Berlin"}})
	f := newFakeServer(t)
	f.mu.Lock()
	f.report = thirtyMinuteReport()
	f.mu.Unlock()
	ready := `document.body.dataset.state === "final" && document.querySelectorAll("#timeline .mark").length > 20 &&
		[...document.querySelectorAll("#checks img")].every(i => i.complete && i.naturalWidth > 0)`
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			e := &e2e{t: t, b: e.b, ctx: e.ctx}
			p := e.openAt(f.srv.URL+"/r/rep-tok", vp.width, vp.height, vp.mobile)
			e.wait(p, ready)
			e.noSideways(p, "report at "+vp.name)
			// Axis labels stay apart and inside the page.
			e.truthy(p, `(() => { const r = [...document.querySelectorAll("#timeline .tick")].map(t => t.getBoundingClientRect());
				return r.length >= 2 && r.every((x, i) => x.left >= 0 && x.right <= innerWidth && (i === 0 || x.left >= r[i-1].right + 4)); })()`,
				"axis labels overlap or leave the page")
			// The list's detail column is readable, and nothing scrolls inside a small box.
			e.truthy(p, `document.querySelector(".timeline-list .detail").getBoundingClientRect().width >= Math.min(300, innerWidth - 80)`,
				"timeline detail column too narrow")
			e.truthy(p, `[...document.querySelectorAll("main *")].every(el => !(["auto", "scroll"].includes(getComputedStyle(el).overflowY) && el.scrollHeight > el.clientHeight + 1))`,
				"something scrolls inside a box")
			// Pictures are large, their alt text says which check, what and when.
			e.truthy(p, `[...document.querySelectorAll("#checks details[open] img")].every(i => i.getBoundingClientRect().width >= 200)`,
				"evidence pictures shown small")
			var alts []string
			e.eval(p, `[...document.querySelectorAll("#checks img")].map(i => i.alt)`, &alts)
			altRE := regexp.MustCompile(`^(Camera|Face visible|Replayed video) evidence: [a-z ]+ at \d\d:\d\d(–\d\d:\d\d)? into the call`)
			for _, a := range alts {
				if !altRE.MatchString(a) {
					t.Errorf("alt text %q does not say check, kind and time", a)
				}
			}
			if len(alts) < 4 {
				t.Errorf("%d evidence pictures, want the 5 of the fixture (face's in a closed list counts too)", len(alts))
			}
			// Times name the reader's timezone; confidence is explained.
			e.truthy(p, `document.getElementById("time-note").textContent.includes("Europe/Berlin") && /GMT\+1|CET/.test(document.getElementById("started-at").textContent)`,
				"times are not labelled with the reader's timezone")
			e.truthy(p, `document.querySelector('[data-check="virtual_camera"] .confidence').textContent === "How sure: low (30%)" && document.getElementById("certainty-note").textContent.includes("not how serious")`,
				"certainty not explained")
			e.shot(p, "report-"+vp.name, false)
			e.eval(p, `document.getElementById("timeline-title").scrollIntoView(); true`, nil)
			e.shot(p, "report-timeline-"+vp.name, false)
			// A click enlarges a picture.
			e.click(p, `#checks [data-check="replay"] a.snapshot`)
			e.wait(p, `document.getElementById("snapshot-viewer")?.open && document.querySelector("#snapshot-viewer img").getBoundingClientRect().width > 300`)
			e.truthy(p, `document.querySelector("#snapshot-viewer img").alt.startsWith("Replayed video evidence: loop at 12:10–12:40")`, "viewer alt text")
		})
	}
	t.Run("print", func(t *testing.T) {
		e := &e2e{t: t, b: e.b, ctx: e.ctx}
		p := e.openAt(f.srv.URL+"/r/rep-tok", 794, 1123, false) // A4 at 96 px per inch
		e.wait(p, ready)
		if err := p.EmulateMedia(e.ctx, "print"); err != nil {
			t.Fatal(err)
		}
		e.wait(p, `getComputedStyle(document.querySelector(".timeline-list")).display === "none"`)
		// Each card keeps three evidence lines on paper and says how many it left out.
		e.truthy(p, `(() => { const f = document.querySelector('#checks [data-check="face"]');
			return [...f.querySelectorAll("li.evidence")].filter(li => getComputedStyle(li).display !== "none").length === 3 &&
				getComputedStyle(f.querySelector("li.print-only")).display !== "none" && f.querySelector("li.print-only").textContent === "… and 3 more on the report page."; })()`,
			"printed card does not say what it left out")
		// Chart marks are borders, which print without "background graphics".
		e.truthy(p, `[...document.querySelectorAll("#timeline .mark")].every(m => { const s = getComputedStyle(m);
			return parseFloat(s.borderTopWidth) >= 3 && s.borderTopStyle === "solid" && s.borderTopColor !== "rgba(0, 0, 0, 0)"; })`,
			"timeline marks would not print")
		// The picture of the printed page: the print layout at A4 width, as tall as it is.
		var tall int
		e.eval(p, `document.documentElement.scrollHeight`, &tall)
		if err := p.SetViewport(e.ctx, 794, tall, false); err != nil {
			t.Fatal(err)
		}
		e.shot(p, "report-print", false)
		pdf, err := p.PrintToPDF(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := pdfPages(pdf)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("30-minute report prints on %d page(s) (%d KB of PDF)", n, len(pdf)>>10)
		if n > 2 {
			t.Errorf("the 30-minute report prints on %d pages, want at most 2", n)
		}
	})
}

func TestRoomPageScreens(t *testing.T) {
	e := launchFor(t, chrome.Options{FakeDevices: true})
	live := thirtyMinuteReport()
	live["state"] = "live"
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			e := &e2e{t: t, b: e.b, ctx: e.ctx}
			f := newFakeServer(t)
			serveNotes(f, "Second round. Ask about the payments project.")
			c := e.openAt(f.srv.URL+"/c/cand-tok", vp.width, vp.height, vp.mobile)
			e.wait(c, `document.getElementById("retention-days").textContent === "14"`)
			e.noSideways(c, "consent at "+vp.name)
			if vp.mobile {
				e.shot(c, "candidate-consent-"+vp.name, false)
			}
			i := e.openAt(f.srv.URL+"/i/intv-tok", vp.width, vp.height, vp.mobile)
			e.click(c, "#consent-accept")
			e.wait(c, `window.integritybot.state === "connected"`)
			e.wait(i, `window.integritybot.state === "connected" && !document.getElementById("notes-box").hidden`)
			e.truthy(i, `document.getElementById("interview-notes").textContent === "Second round. Ask about the payments project."`, "notes not shown")

			iv := f.sock("interviewer")
			iv.send(map[string]any{"type": "peer", "role": "candidate", "state": "joined"})
			f.sock("candidate").send(map[string]any{"type": "peer", "role": "interviewer", "state": "joined"})
			iv.send(map[string]any{"type": "checks", "report": live})
			challenge := map[string]any{"type": "challenge", "step": "turn_left", "text": "Turn your head to your left, to full profile.", "seconds": 25, "index": 1, "count": 4}
			iv.send(challenge)
			f.sock("candidate").send(challenge)
			// The interviewer sees the prompt and a running countdown, as the candidate does.
			e.wait(i, `!document.getElementById("challenge").hidden && /^\d+ s$/.test(document.getElementById("challenge-countdown").textContent)`)
			e.wait(c, `!document.getElementById("challenge").hidden && /^\d+ s$/.test(document.getElementById("challenge-countdown").textContent)`)
			e.truthy(i, `document.getElementById("challenge-countdown").parentElement.getAttribute("aria-hidden") === "true"`, "countdown read aloud every second")
			// Live updates: one status region that says what changed; the list itself is silent.
			e.wait(i, `document.getElementById("announcer").textContent.startsWith("Overall: Strong concerns.")`)
			e.truthy(i, `!document.getElementById("checks").hasAttribute("aria-live") && !document.getElementById("live-overall").hasAttribute("aria-live") &&
				document.getElementById("announcer").getAttribute("role") === "status"`, "checks list still re-read on every update")
			// Focus ring: at least 3:1 against the page and the cards (WCAG 2.2, 1.4.11).
			e.eval(i, `document.getElementById("toggle-mic").focus(); true`, nil)
			var ratio float64
			e.eval(i, focusContrast, &ratio)
			t.Logf("focus ring contrast %.1f:1", ratio)
			if ratio < 3 {
				t.Errorf("focus ring contrast %.2f:1, want at least 3:1", ratio)
			}
			e.noSideways(i, "interviewer at "+vp.name)
			e.noSideways(c, "candidate at "+vp.name)
			e.eval(i, `window.scrollTo(0, 0); true`, nil)
			e.shot(i, "interviewer-"+vp.name, false)
			e.shot(c, "candidate-"+vp.name, false)

			// A second update announces only what changed.
			next := thirtyMinuteReport()
			next["state"] = "live"
			next["checks"].([]any)[7].(map[string]any)["status"] = "warn"
			next["checks"].([]any)[7].(map[string]any)["summary"] = "The connection comes from a hosting network."
			iv.send(map[string]any{"type": "checks", "report": next})
			e.wait(i, `document.getElementById("announcer").textContent === "Network: Warn. The connection comes from a hosting network."`)
		})
	}
}

// focusContrast is the lower contrast ratio of the focused element's outline colour against
// white (cards) and the page background (WCAG relative luminance).
const focusContrast = `(() => {
	const el = document.activeElement;
	if (!el || !el.matches(":focus-visible")) return 0;
	const s = getComputedStyle(el);
	if (s.outlineStyle === "none" || parseFloat(s.outlineWidth) < 2) return 0;
	const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
	const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
	const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
	const ring = rgb(s.outlineColor);
	const page = rgb(getComputedStyle(document.body).backgroundColor.startsWith("rgba(0, 0, 0, 0)")
		? getComputedStyle(document.documentElement).backgroundColor : getComputedStyle(document.body).backgroundColor);
	return Math.min(ratio(ring, [255, 255, 255]), ratio(ring, page));
})()`
