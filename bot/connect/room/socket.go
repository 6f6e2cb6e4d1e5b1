package room

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Websocket timing (Galène's shape): the server pings, and a socket silent for longer than
// readTimeout is dead.
const (
	pingInterval = 15 * time.Second
	readTimeout  = 45 * time.Second
	writeTimeout = 10 * time.Second
	sendQueue    = 64
)

// socket owns one websocket: ReadLoop runs in the caller's goroutine (the only reader),
// one writer goroutine does every write; others send through Send.
type socket struct {
	conn  *websocket.Conn
	log   *slog.Logger
	send  chan []byte
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	limit *bucket // MessageRate, MessageBurst: only the reader uses it
	// closeCode and closeText go in the close frame; set once, before done closes.
	closeCode int
	closeText string
}

func newSocket(conn *websocket.Conn, log *slog.Logger, now func() time.Time) *socket {
	s := &socket{conn: conn, log: log, send: make(chan []byte, sendQueue), done: make(chan struct{}),
		limit: newBucket(MessageRate, MessageBurst, now), closeCode: websocket.CloseNormalClosure}
	s.wg.Add(1)
	go s.writeLoop()
	return s
}

// Send queues a message; it never blocks. A client too slow to take its messages is
// disconnected rather than allowed to stall the room.
func (s *socket) Send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode signaling message", "err", err)
		return
	}
	select {
	case <-s.done:
	case s.send <- b:
	default:
		s.log.Warn("signaling client too slow; closing")
		s.Close()
	}
}

// ReadLoop reads messages until the socket fails or closes.
func (s *socket) ReadLoop(handle func([]byte)) {
	s.conn.SetReadLimit(maxMessageSize)
	_ = s.conn.SetReadDeadline(time.Now().Add(readTimeout))
	s.conn.SetPongHandler(func(string) error {
		return s.conn.SetReadDeadline(time.Now().Add(readTimeout))
	})
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				s.log.Debug("signaling read ended", "err", err)
			}
			return
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(readTimeout))
		if !s.limit.allow() {
			// Once per socket: it closes now. The close frame says why (RFC 6455 §7.4.1).
			s.log.Warn("signaling message rate exceeded; closing the socket", "rate", MessageRate, "burst", MessageBurst)
			s.closeWith(websocket.ClosePolicyViolation, "too many messages")
			return
		}
		if typ != websocket.TextMessage {
			s.Send(out{Type: "error", Error: "signaling messages are JSON text frames"})
			continue
		}
		handle(data)
	}
}

func (s *socket) writeLoop() {
	defer s.wg.Done()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case b := <-s.send:
			if !s.write(b) {
				s.Close()
				return
			}
		case <-ping.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				s.Close()
				return
			}
		case <-s.done:
			s.flush()
			_ = s.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(s.closeCode, s.closeText), time.Now().Add(time.Second))
			_ = s.conn.Close()
			return
		}
	}
}

// flush writes what was queued before Close, so "ended" reaches the client.
func (s *socket) flush() {
	for {
		select {
		case b := <-s.send:
			if !s.write(b) {
				return
			}
		default:
			return
		}
	}
}

func (s *socket) write(b []byte) bool {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return s.conn.WriteMessage(websocket.TextMessage, b) == nil
}

// Close stops the writer after it flushes queued messages; the reader then fails and returns.
func (s *socket) Close() { s.closeWith(websocket.CloseNormalClosure, "") }

// closeWith closes with a close frame of code and text (the first close wins).
func (s *socket) closeWith(code int, text string) {
	s.once.Do(func() {
		s.closeCode, s.closeText = code, text
		close(s.done)
	})
}

// Wait waits for the writer goroutine to finish.
func (s *socket) Wait() { s.wg.Wait() }
