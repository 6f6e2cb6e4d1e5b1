package whep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pion/webrtc/v4"
)

// resource is the session the server created.
type resource struct {
	url     string // Location, resolved against the endpoint
	etag    string
	trickle bool // the server accepts trickle-ice-sdpfrag PATCHes
	answer  string
	ice     []webrtc.ICEServer
}

const (
	mimeSDP     = "application/sdp"
	mimeTrickle = "application/trickle-ice-sdpfrag"
	maxAnswer   = 1 << 20
)

func (c *client) request(ctx context.Context, method, target, ctype string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("whep: %s: %w", strings.ToLower(method), err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.cfg.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Bearer)
	}
	return req, nil
}

// do sends req; an answer outside 2xx becomes a *StatusError. The URL (which may carry a
// token) is kept out of errors, and so is the answer's body: it is the remote server's text,
// which goes to the operator's log only, never into a report (issue 15 finding 4).
func (c *client) do(req *http.Request, op string) (*http.Response, []byte, error) {
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may carry a token
		}
		return nil, nil, fmt.Errorf("whep: %s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("whep: %s: read answer: %w", op, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return nil, nil, fmt.Errorf("%w: %s: the endpoint answered %d (a redirect); joins do not follow redirects: give the URL it redirects to",
			ErrRefused, op, resp.StatusCode)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		text := strings.TrimSpace(string(body))
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		c.log.Warn("whep error answer", "op", op, "status", resp.StatusCode, "body", text)
		return nil, nil, &StatusError{Op: op, Status: resp.StatusCode}
	}
	return resp, body, nil
}

// post sends the offer and reads the answer, the session's Location, whether it takes
// trickled candidates, and the ICE servers of its Link headers.
func (c *client) post(ctx context.Context, offer string) (*resource, error) {
	req, err := c.request(ctx, http.MethodPost, c.cfg.URL, mimeSDP, []byte(offer))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", mimeSDP)
	resp, body, err := c.do(req, "post offer")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("whep: post offer: server answered %d, expected 201 Created", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, mimeSDP) {
		return nil, fmt.Errorf("whep: post offer: the answer is not %s", mimeSDP) // its type is the server's text
	}
	answer, dropped := c.cfg.Guard.filterCandidates(string(body))
	if dropped > 0 {
		c.log.Info("whep: answer candidates on addresses the join policy refuses were dropped", "count", dropped)
	}
	r := &resource{answer: answer, etag: resp.Header.Get("ETag")}
	if links := resp.Header.Values("Link"); c.cfg.Guard == nil || c.cfg.Guard.listed(resp.Request.URL) {
		r.ice = parseLinks(links)
	} else if len(parseLinks(links)) > 0 {
		c.log.Info("whep: ICE servers of Link headers ignored: the endpoint's origin is not in join.allowed_origins")
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := resp.Request.URL.Parse(loc)
		if err != nil {
			return nil, errors.New("whep: post offer: the answer's Location is not a URL")
		}
		if c.cfg.Guard != nil && origin(u) != origin(resp.Request.URL) {
			// The bearer, the PATCHes and the DELETE would go there.
			return nil, fmt.Errorf("%w: post offer: the session's Location is on another origin than the endpoint", ErrRefused)
		}
		r.url = u.String()
	}
	for _, v := range resp.Header.Values("Accept-Patch") {
		if strings.Contains(v, mimeTrickle) {
			r.trickle = r.url != ""
		}
	}
	return r, nil
}

// patch sends a trickle-ice-sdpfrag to the session (RFC 9725 §4.3) with If-Match: the
// session's ETag, or "*" when it gave none (and for an ICE restart). It returns the answer's
// body and ETag: a server that restarts ICE answers 200 with its new credentials.
func (c *client) patch(ctx context.Context, url, etag, frag string) (body []byte, newETag string, err error) {
	req, err := c.request(ctx, http.MethodPatch, url, mimeTrickle, []byte(frag))
	if err != nil {
		return nil, "", err
	}
	if etag == "" {
		etag = "*"
	}
	req.Header.Set("If-Match", etag)
	resp, body, err := c.do(req, "patch candidates")
	if err != nil {
		return nil, "", err
	}
	return body, resp.Header.Get("ETag"), nil
}

func (c *client) delete(ctx context.Context, r *resource) error {
	req, err := c.request(ctx, http.MethodDelete, r.url, "", nil)
	if err != nil {
		return err
	}
	_, _, err = c.do(req, "delete session")
	return err
}

// parseLinks reads ICE servers from Link headers (draft-ietf-wish-whep, RFC 8288):
// `<turn:turn.example.net?transport=udp>; rel="ice-server"; username="u";
// credential="p"; credential-type="password"`. Other links are ignored.
func parseLinks(values []string) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, v := range values {
		for _, link := range splitOutside(v, ',') {
			parts := splitOutside(link, ';')
			if len(parts) == 0 {
				continue
			}
			target := strings.TrimSpace(parts[0])
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			s := webrtc.ICEServer{URLs: []string{target[1 : len(target)-1]}}
			rel := false
			for _, p := range parts[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				val = unquote(strings.TrimSpace(val))
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "rel":
					rel = strings.EqualFold(val, "ice-server")
				case "username":
					s.Username = val
				case "credential":
					s.Credential = val
				}
			}
			if rel {
				out = append(out, s)
			}
		}
	}
	return out
}

// splitOutside splits s at sep outside <...> and quoted strings (with their \-escapes).
func splitOutside(s string, sep byte) []string {
	var out []string
	angle, quote, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quote:
			i++ // a quoted-pair: the next character is literal
		case c == '"' && !angle:
			quote = !quote
		case c == '<' && !quote:
			angle = true
		case c == '>' && !quote:
			angle = false
		case c == sep && !angle && !quote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote returns a parameter value: a token as it is, a quoted-string without its quotes
// and escapes (RFC 9110 §5.6.4, as RFC 8288 link parameters use it; MediaMTX escapes `"`
// and `\` in TURN credentials).
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
