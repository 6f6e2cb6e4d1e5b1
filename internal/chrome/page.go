package chrome

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Page is one tab attached over its own DevTools websocket.
type Page struct {
	b        *Browser
	targetID string
	conn     *conn
	loaded   chan struct{}

	mu      sync.Mutex
	console []string
}

type remoteObject struct {
	Type                string          `json:"type"`
	Subtype             string          `json:"subtype"`
	Value               json.RawMessage `json:"value"`
	UnserializableValue string          `json:"unserializableValue"`
	Description         string          `json:"description"`
}

type exceptionDetails struct {
	Text      string        `json:"text"`
	URL       string        `json:"url"`
	Line      int           `json:"lineNumber"`
	Exception *remoteObject `json:"exception"`
}

func (e *exceptionDetails) String() string {
	msg := e.Text
	if x := e.Exception; x != nil {
		switch {
		case x.Description != "":
			msg = x.Description
		case len(x.Value) > 0:
			msg = e.Text + " " + x.describe()
		}
	}
	if e.URL != "" {
		msg += fmt.Sprintf(" (%s:%d)", e.URL, e.Line+1)
	}
	return msg
}

func (o *remoteObject) describe() string {
	switch {
	case len(o.Value) > 0:
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	case o.UnserializableValue != "":
		return o.UnserializableValue
	case o.Description != "":
		return o.Description
	}
	return o.Type
}

func (p *Page) event(method string, params json.RawMessage) {
	switch method {
	case "Page.loadEventFired":
		select {
		case p.loaded <- struct{}{}:
		default:
		}
	case "Runtime.consoleAPICalled":
		var e struct {
			Type string         `json:"type"`
			Args []remoteObject `json:"args"`
		}
		if json.Unmarshal(params, &e) == nil {
			parts := make([]string, len(e.Args))
			for i := range e.Args {
				parts[i] = e.Args[i].describe()
			}
			p.addConsole(e.Type + ": " + strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		var e struct {
			Details exceptionDetails `json:"exceptionDetails"`
		}
		if json.Unmarshal(params, &e) == nil {
			p.addConsole("exception: " + e.Details.String())
		}
	case "Log.entryAdded":
		var e struct {
			Entry struct {
				Source, Level, Text, URL string
			} `json:"entry"`
		}
		if json.Unmarshal(params, &e) == nil {
			line := fmt.Sprintf("log %s/%s: %s", e.Entry.Source, e.Entry.Level, e.Entry.Text)
			if e.Entry.URL != "" {
				line += " (" + e.Entry.URL + ")"
			}
			p.addConsole(line)
		}
	}
}

func (p *Page) addConsole(s string) {
	p.mu.Lock()
	p.console = append(p.console, s)
	p.mu.Unlock()
}

// Console returns the console messages, uncaught exceptions and browser log entries collected
// so far, oldest first — useful in test failure output.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// Navigate loads url in the page and waits for its load event (or ctx).
func (p *Page) Navigate(ctx context.Context, url string) error {
	select { // forget a stale load event
	case <-p.loaded:
	default:
	}
	res, err := p.conn.call(ctx, "Page.navigate", map[string]any{"url": url})
	if err != nil {
		return err
	}
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if json.Unmarshal(res, &r) == nil && r.ErrorText != "" {
		return fmt.Errorf("chrome: navigate to %s: %s", url, r.ErrorText)
	}
	select {
	case <-p.loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chrome: waiting for %s to load: %w", url, ctx.Err())
	}
}

// Eval evaluates a JavaScript expression in the page (Runtime.evaluate with returnByValue and
// awaitPromise, as if from a user gesture) and returns its value as JSON ("null" for undefined).
// A thrown exception or rejected promise becomes an error carrying the JavaScript message.
func (p *Page) Eval(ctx context.Context, expr string) (json.RawMessage, error) {
	res, err := p.conn.call(ctx, "Runtime.evaluate", map[string]any{
		"expression":    expr,
		"returnByValue": true,
		"awaitPromise":  true,
		"userGesture":   true,
	})
	if err != nil {
		return nil, err
	}
	var r struct {
		Result           remoteObject      `json:"result"`
		ExceptionDetails *exceptionDetails `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, fmt.Errorf("chrome: decode evaluate result: %w", err)
	}
	if r.ExceptionDetails != nil {
		return nil, fmt.Errorf("chrome: javascript: %s", r.ExceptionDetails.String())
	}
	switch {
	case len(r.Result.Value) > 0:
		return r.Result.Value, nil
	case r.Result.UnserializableValue != "":
		b, _ := json.Marshal(r.Result.UnserializableValue)
		return b, nil
	}
	return json.RawMessage("null"), nil
}

// WaitFor evaluates expr (it may return a promise) every poll until it is truthy or ctx ends.
// Exceptions while waiting count as "not yet". The error reports the last value or exception.
func (p *Page) WaitFor(ctx context.Context, expr string, poll time.Duration) error {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	wrapped := `(async () => { const v = await (
` + expr + `
); let s; try { s = JSON.stringify(v); } catch (e) { s = String(v); }
if (s === undefined) s = String(v); return {ok: !!v, v: s}; })()`
	last := "no evaluation finished"
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("chrome: waiting for %q: %w; last: %s", expr, ctx.Err(), last)
		case <-t.C:
		}
		raw, err := p.Eval(ctx, wrapped)
		if err != nil {
			if ctx.Err() == nil {
				last = "error: " + err.Error()
			}
		} else {
			var r struct {
				OK bool   `json:"ok"`
				V  string `json:"v"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				last = "undecodable: " + string(raw)
			} else if r.OK {
				return nil
			} else {
				last = "value " + r.V
			}
		}
		t.Reset(poll)
	}
}

// Click scrolls the first element matching the CSS selector into view and clicks it.
func (p *Page) Click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	_, err := p.Eval(ctx, `(() => { const el = document.querySelector(`+string(sel)+`);
if (!el) throw new Error("no element matches " + `+string(sel)+`);
el.scrollIntoView({block: "center"}); if (el.focus) el.focus(); el.click(); return true; })()`)
	return err
}

// Screenshot captures the visible part of the page as PNG.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	res, err := p.conn.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		return nil, err
	}
	var r struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// Close closes the tab.
func (p *Page) Close(ctx context.Context) error {
	_, err := p.b.conn.call(ctx, "Target.closeTarget", map[string]any{"targetId": p.targetID})
	return err
}
