package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
	"github.com/integritybot/integritybot/internal/store/storetest"
)

// clusterNode is one serve process of a two-node cluster: its store handle (its node id),
// its hosted rooms and its HTTP server on 127.0.0.1.
type clusterNode struct {
	st  *store.Store
	srv *httptest.Server
}

// sharedClock is the nodes' clock for heartbeats and leases.
type sharedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sharedClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *sharedClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const nodeStale = 20 * time.Second

func newClusterNode(t *testing.T, dsn, id string, clock *sharedClock, signer *auth.Signer) *clusterNode {
	t.Helper()
	st, err := store.OpenConfig(context.Background(), store.Config{Driver: store.DriverPostgres, DSN: dsn,
		NodeID: id, Now: clock.now, NodeStaleAfter: nodeStale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, log := newInterviews(t, st, signer, "http://lb.example.test") // security_test.go
	srv := httptest.NewServer(server.New(server.Options{Store: st, Signer: signer, APIToken: apiToken,
		Interviews: svc, Log: log}))
	t.Cleanup(srv.Close)
	n := &clusterNode{st: st, srv: srv}
	n.beat(t)
	return n
}

// beat renews the node's heartbeat with its own URL, as serve does every few seconds.
func (n *clusterNode) beat(t *testing.T) {
	t.Helper()
	if err := n.st.Heartbeat(t.Context(), n.srv.URL); err != nil {
		t.Fatal(err)
	}
}

// noFollow is a client that shows redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call makes a request to base+path with token as bearer (none when ""), and returns the
// status, the Location header and the body.
func call(t *testing.T, c *http.Client, method, url, token string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(`{"step":"hand"}`))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// join opens the signaling websocket on n as token's holder; it fails the test unless the
// room welcomes it.
func join(t *testing.T, n *clusterNode, token string) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(wsURL(n, token), nil)
	if err != nil {
		t.Fatalf("join on %s: %v (%+v)", n.srv.URL, err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	var welcome map[string]any
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // a hang guard, not a speed limit
	if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" {
		t.Fatalf("join on %s: welcome %v, %v", n.srv.URL, welcome, err)
	}
	return ws
}

func wsURL(n *clusterNode, token string) string {
	return "ws" + strings.TrimPrefix(n.srv.URL, "http") + "/api/ws?token=" + token
}

// TestRouteToOwner runs two Servers over one PostgreSQL store. The candidate joins on node a;
// node b sends the live room's pages and API calls to a with a 307, refuses the websocket
// with 409 naming a, and never redirects twice; once a's heartbeat is stale, b serves the
// room itself and takes the interview over.
func TestRouteToOwner(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	clock := &sharedClock{t: time.Now()}
	signer := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now) // shared, as the signing key is in the store
	a := newClusterNode(t, dsn, "a", clock, signer)
	b := newClusterNode(t, dsn, "b", clock, signer)

	links := (&env{t: t, srv: b.srv}).create() // through the "wrong" node
	cand, iv, rep := tokenOf(links.CandidateURL), tokenOf(links.InterviewerURL), tokenOf(links.ReportURL)
	api := "/api/interviews/" + links.ID

	// Before anyone joins, the interview is nobody's: b serves its pages.
	if code, loc, _ := call(t, noFollow, "GET", b.srv.URL+"/c/"+cand, ""); code != http.StatusOK {
		t.Fatalf("candidate page on b before the call: %d %s", code, loc)
	}
	join(t, a, cand)
	if n, err := b.st.InterviewNode(t.Context(), links.ID); err != nil || n != "a" {
		t.Fatalf("interview node = %q, %v; want a", n, err)
	}

	t.Run("redirects", func(t *testing.T) {
		for _, tc := range []struct{ name, method, path, token string }{
			{"candidate page", "GET", "/c/" + cand, ""},
			{"interviewer page", "GET", "/i/" + iv, ""},
			{"report", "GET", api + "/report", iv},
			{"report alias", "GET", "/api/report?token=" + iv, ""},
			{"end", "POST", api + "/end", iv},
			{"challenge", "POST", api + "/challenge", iv},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, loc, body := call(t, noFollow, tc.method, b.srv.URL+tc.path, tc.token)
				sep := "?"
				if strings.Contains(tc.path, "?") {
					sep = "&"
				}
				// The query is re-encoded with sorted keys: ib_owner comes before token.
				want := a.srv.URL + tc.path + sep + "ib_owner=a"
				if strings.HasPrefix(tc.path, "/api/report?") {
					want = a.srv.URL + "/api/report?ib_owner=a&token=" + iv
				}
				if code != http.StatusTemporaryRedirect || loc != want {
					t.Fatalf("%s %s on b: %d Location %q (%s); want 307 to %s", tc.method, tc.path, code, loc, body, want)
				}
			})
		}
	})

	t.Run("followed", func(t *testing.T) {
		// A browser follows to a: the page loads there (so its websocket goes to a).
		code, _, body := call(t, http.DefaultClient, "GET", b.srv.URL+"/c/"+cand, "")
		if code != http.StatusOK || !strings.Contains(body, "<html") {
			t.Fatalf("candidate page followed from b: %d", code)
		}
		// Go's client keeps Authorization on a redirect to the same host (another port).
		code, _, body = call(t, http.DefaultClient, "GET", b.srv.URL+api+"/report", iv)
		var r report.Report
		if err := json.Unmarshal([]byte(body), &r); code != http.StatusOK || err != nil || r.State != report.Live {
			t.Fatalf("live report followed from b: %d %v %s", code, err, body)
		}
	})

	t.Run("report page stays", func(t *testing.T) {
		if code, loc, _ := call(t, noFollow, "GET", b.srv.URL+"/r/"+rep, ""); code != http.StatusOK {
			t.Fatalf("report page on b: %d %s; want 200 (reports are in the shared store)", code, loc)
		}
	})

	t.Run("websocket 409", func(t *testing.T) {
		assertWSRefused(t, b, cand, a.srv.URL)
	})

	t.Run("where", func(t *testing.T) {
		// The page asks before it reconnects: b names a, a says here; a report link or
		// none is refused.
		assertWhere(t, b, cand, "a", a.srv.URL)
		assertWhere(t, b, iv, "a", a.srv.URL)
		assertWhere(t, a, cand, "", "")
		if code, _, body := call(t, noFollow, "GET", b.srv.URL+"/api/where?token="+rep, ""); code != http.StatusForbidden {
			t.Fatalf("where with a report link: %d %s; want 403", code, body)
		}
		if code, _, body := call(t, noFollow, "GET", b.srv.URL+"/api/where", ""); code != http.StatusUnauthorized {
			t.Fatalf("where without a token: %d %s; want 401", code, body)
		}
	})

	t.Run("loop guard", func(t *testing.T) {
		// Already redirected once, yet not at the owner: a page is served here, an action
		// refused, never a second redirect.
		if code, loc, _ := call(t, noFollow, "GET", b.srv.URL+"/c/"+cand+"?ib_owner=a", ""); code != http.StatusOK {
			t.Fatalf("redirected page on b: %d %s; want 200", code, loc)
		}
		code, loc, body := call(t, noFollow, "POST", b.srv.URL+api+"/end?ib_owner=a", iv)
		if code != http.StatusConflict || loc != "" || !strings.Contains(body, a.srv.URL) {
			t.Fatalf("redirected end on b: %d %q %s; want 409 naming %s", code, loc, body, a.srv.URL)
		}
	})

	t.Run("owner serves", func(t *testing.T) {
		if code, loc, _ := call(t, noFollow, "GET", a.srv.URL+"/i/"+iv, ""); code != http.StatusOK {
			t.Fatalf("interviewer page on a: %d %s", code, loc)
		}
	})

	// a stops beating (it hangs, or its machine is gone): past nodeStale, b serves the room and
	// its room takes the interview over, although a's report lease (a minute) is still fresh.
	clock.advance(nodeStale + time.Second)
	b.beat(t)
	if code, loc, _ := call(t, noFollow, "GET", b.srv.URL+"/c/"+cand, ""); code != http.StatusOK {
		t.Fatalf("candidate page on b after a went stale: %d %s; want 200", code, loc)
	}
	join(t, b, cand)
	if n, err := a.st.InterviewNode(t.Context(), links.ID); err != nil || n != "b" {
		t.Fatalf("interview node after the takeover = %q, %v; want b", n, err)
	}
	// Now a is the wrong node (were it to beat again): it sends the room to b.
	a.beat(t)
	if code, loc, _ := call(t, noFollow, "GET", a.srv.URL+"/i/"+iv, ""); code != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, b.srv.URL+"/i/") {
		t.Fatalf("interviewer page on a after the takeover: %d %q; want 307 to b", code, loc)
	}
	assertWSRefused(t, a, cand, b.srv.URL)
	assertWhere(t, a, cand, "b", b.srv.URL)
	assertWhere(t, b, cand, "", "")
}

// assertWhere asks n where token's room runs (GET /api/where, as room.js does before it
// reconnects) and wants owner's node and URL, or "here" when node is "".
func assertWhere(t *testing.T, n *clusterNode, token, node, owner string) {
	t.Helper()
	code, _, body := call(t, noFollow, "GET", n.srv.URL+"/api/where?token="+token, "")
	var out struct {
		Here     bool   `json:"here"`
		Node     string `json:"node"`
		OwnerURL string `json:"owner_url"`
	}
	if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil {
		t.Fatalf("where on %s: %d %v %s", n.srv.URL, code, err, body)
	}
	if out.Here != (node == "") || out.Node != node || out.OwnerURL != owner {
		t.Fatalf("where on %s: %s; want node %q owner_url %q", n.srv.URL, body, node, owner)
	}
}

// assertWSRefused dials the websocket on n and wants 409 with a JSON error naming owner.
func assertWSRefused(t *testing.T, n *clusterNode, token, owner string) {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(wsURL(n, token), nil)
	if err == nil {
		ws.Close()
		t.Fatalf("websocket on %s opened; want 409", n.st.NodeID())
	}
	if resp == nil || resp.StatusCode != http.StatusConflict {
		t.Fatalf("websocket on %s: %v %+v; want 409", n.st.NodeID(), err, resp)
	}
	var out map[string]string
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil || out["owner_url"] != owner || !strings.Contains(out["error"], owner) {
		t.Fatalf("websocket 409 body %s (%v); want owner_url %s", b, err, owner)
	}
}

// TestRouteSQLiteIsLocal: with SQLite (one node) a live room's pages are served, never routed.
func TestRouteSQLiteIsLocal(t *testing.T) {
	e := newEnv(t)
	links := e.create()
	join(t, &clusterNode{srv: e.srv}, tokenOf(links.CandidateURL))
	for _, path := range []string{"/c/" + tokenOf(links.CandidateURL), "/i/" + tokenOf(links.InterviewerURL)} {
		if code, loc, _ := call(t, noFollow, "GET", e.srv.URL+path, ""); code != http.StatusOK {
			t.Fatalf("GET %s: %d %q; want 200", path, code, loc)
		}
	}
	assertWhere(t, &clusterNode{srv: e.srv}, tokenOf(links.CandidateURL), "", "")
}

// TestRoomGoesToOwner drives room.js in headless Chromium against two Servers over one
// PostgreSQL store. The interview runs on a; a candidate page served by b (its ib_owner
// names another node, so b serves it) gets 409 on its websocket, asks GET /api/where and
// loads itself from a, where it joins. A page whose ib_owner already names a stays on b
// (room.js's loop guard) and says so.
func TestRoomGoesToOwner(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	if _, err := chrome.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	clock := &sharedClock{t: time.Now()}
	signer := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	a := newClusterNode(t, dsn, "a", clock, signer)
	b := newClusterNode(t, dsn, "b", clock, signer)
	links := (&env{t: t, srv: b.srv}).create()
	cand := tokenOf(links.CandidateURL)
	join(t, a, tokenOf(links.InterviewerURL)) // the interview now runs on a

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // a hang guard: Chromium starts slowly under load
	defer cancel()
	br, err := chrome.Launch(ctx, chrome.Options{FakeDevices: true})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()

	moved, err := br.Open(ctx, b.srv.URL+"/c/"+cand+"?ib_owner=old")
	if err != nil {
		t.Fatal(err)
	}
	want := a.srv.URL + "/c/" + cand + "?ib_owner=a"
	if err := moved.WaitFor(ctx, `location.href === '`+want+`' && !!window.integritybot && !!window.integritybot.welcome`, 100*time.Millisecond); err != nil {
		t.Fatalf("candidate page served by b did not join on a (%s): %v\n%s", want, err, strings.Join(moved.Console(), "\n"))
	}

	stay, err := br.Open(ctx, b.srv.URL+"/c/"+cand+"?ib_owner=a")
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(strings.Join(stay.Console(), "\n"), "already sent to server a") {
		if ctx.Err() != nil {
			t.Fatalf("page already sent to a: no loop guard message\n%s", strings.Join(stay.Console(), "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var href string
	if v, err := stay.Eval(ctx, `location.href`); err != nil || json.Unmarshal(v, &href) != nil || !strings.HasPrefix(href, b.srv.URL) {
		t.Fatalf("page already sent to a left b: %s %v", v, err)
	}
}
