package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Heartbeats of the serve processes sharing a database (table nodes): each node upserts its
// row with its own base URL every HeartbeatEvery, and marks it gone when it stops. The other
// nodes use it to send a request for a live interview to the node that runs it
// (internal/server/route.go), and to take over an interview whose node stopped beating
// (StartInterview).
const (
	// HeartbeatEvery is how often a serve process renews its nodes row.
	HeartbeatEvery = 5 * time.Second
	// DefaultNodeStaleAfter is when a node that has not renewed its row counts as dead: four
	// missed heartbeats, so one slow database round trip never makes a node look dead.
	DefaultNodeStaleAfter = 4 * HeartbeatEvery
)

// Node is one serve process as the nodes table records it.
type Node struct {
	ID string
	// URL is the node's own base URL (server.node_url), where other nodes redirect requests
	// for the interviews it runs.
	URL         string
	HeartbeatAt time.Time
	// GoneAt is when the node said it stopped; nil while it runs.
	GoneAt *time.Time
}

// Owner says where a live interview runs, for routing a request to it.
type Owner struct {
	// Node is the node recorded on the interview ("" when none has run it).
	Node string
	// Live is whether the interview is live (its call running somewhere).
	Live bool
	// URL is the owner's base URL from its nodes row ("" when it has none).
	URL string
	// Alive is whether the owner's heartbeat is fresh (within Config.NodeStaleAfter) and it
	// has not said it stopped.
	Alive bool
}

// NodeID returns this process's node id (Config.NodeID).
func (s *Store) NodeID() string { return s.node }

// Heartbeat records that this node (Config.NodeID) runs and is reached at url: it inserts
// or renews the node's row and clears any earlier "gone".
func (s *Store) Heartbeat(ctx context.Context, url string) error {
	switch {
	case s.node == "":
		return errors.New("store: heartbeat: no node id")
	case url == "":
		return errors.New("store: heartbeat: empty url")
	}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO nodes(node_id, url, heartbeat_at, gone_at) VALUES(?, ?, ?, NULL)
		ON CONFLICT(node_id) DO UPDATE SET url = excluded.url, heartbeat_at = excluded.heartbeat_at, gone_at = NULL`),
		s.node, url, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("store: heartbeat %s: %w", s.node, err)
	}
	return nil
}

// NodeStopped marks this node gone: other nodes stop redirecting to it and may take over its
// live interviews at once. Call it after the node's rooms are closed.
func (s *Store) NodeStopped(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE nodes SET gone_at = ? WHERE node_id = ?`), s.now().UnixNano(), s.node)
	if err != nil {
		return fmt.Errorf("store: node stopped %s: %w", s.node, err)
	}
	return nil
}

// Nodes returns every node that ever beat, by id.
func (s *Store) Nodes(ctx context.Context) ([]Node, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT node_id, url, heartbeat_at, gone_at FROM nodes ORDER BY node_id`)
	if err != nil {
		return nil, fmt.Errorf("store: nodes: %w", err)
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		var (
			n    Node
			hb   int64
			gone sql.NullInt64
		)
		if err := rows.Scan(&n.ID, &n.URL, &hb, &gone); err != nil {
			return nil, fmt.Errorf("store: nodes: %w", err)
		}
		n.HeartbeatAt, n.GoneAt = time.Unix(0, hb).UTC(), timePtr(gone)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: nodes: %w", err)
	}
	return out, nil
}

// InterviewOwner returns where interview id runs: its node, whether it is live, and that
// node's URL and liveness. ErrNotFound if there is no such interview.
func (s *Store) InterviewOwner(ctx context.Context, id string) (Owner, error) {
	var (
		o     Owner
		state string
		url   sql.NullString
		hb    sql.NullInt64
		gone  sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT i.state, i.node_id, n.url, n.heartbeat_at, n.gone_at
		FROM interviews i LEFT JOIN nodes n ON n.node_id = i.node_id WHERE i.id = ?`), id).
		Scan(&state, &o.Node, &url, &hb, &gone)
	if errors.Is(err, sql.ErrNoRows) {
		return Owner{}, fmt.Errorf("store: interview owner %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Owner{}, fmt.Errorf("store: interview owner %s: %w", id, err)
	}
	o.Live, o.URL = report.State(state) == report.Live, url.String
	o.Alive = url.Valid && !gone.Valid && hb.Int64 >= s.nodeCutoff()
	return o, nil
}

// nodeCutoff is the oldest heartbeat (unix ns) of a node that counts as alive.
func (s *Store) nodeCutoff() int64 { return s.now().Add(-s.nodeStaleAfter).UnixNano() }
