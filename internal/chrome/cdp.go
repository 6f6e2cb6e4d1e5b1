package chrome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/gorilla/websocket"
)

// conn is one DevTools websocket: a single reader goroutine dispatches responses by id to
// waiting callers and events to onEvent; writes are serialized.
type conn struct {
	ws      *websocket.Conn
	onEvent func(method string, params json.RawMessage)

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpMessage
	err     error // set once the reader stops
	done    chan struct{}
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

type cdpMessage struct {
	ID     int64           `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *cdpError       `json:"error,omitempty"`
}

func dial(ctx context.Context, netDial DialFunc, url string, onEvent func(string, json.RawMessage)) (*conn, error) {
	d := websocket.Dialer{ReadBufferSize: 1 << 16, WriteBufferSize: 1 << 16, NetDialContext: netDial}
	ws, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("chrome: connect to DevTools %s: %w", url, err)
	}
	ws.SetReadLimit(256 << 20)
	c := &conn{ws: ws, onEvent: onEvent, pending: map[int64]chan cdpMessage{}, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func (c *conn) readLoop() {
	var err error
	for {
		var m cdpMessage
		if err = c.ws.ReadJSON(&m); err != nil {
			break
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m // buffered, never blocks
			}
			continue
		}
		if m.Method != "" && c.onEvent != nil {
			c.onEvent(m.Method, m.Params)
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("chrome: DevTools connection closed: %w", err)
	c.pending = nil
	c.mu.Unlock()
	close(c.done)
}

// call sends one command and waits for its response.
func (c *conn) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	ch := make(chan cdpMessage, 1)
	c.mu.Lock()
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()

	var raw json.RawMessage
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	c.wmu.Lock()
	err := c.ws.WriteJSON(cdpMessage{ID: id, Method: method, Params: raw})
	c.wmu.Unlock()
	if err != nil {
		c.forget(id)
		return nil, fmt.Errorf("chrome: send %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("chrome: %s: %s (%d) %s", method, m.Error.Message, m.Error.Code, m.Error.Data)
		}
		return m.Result, nil
	case <-c.done:
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		return nil, err
	case <-ctx.Done():
		c.forget(id)
		return nil, fmt.Errorf("chrome: %s: %w", method, ctx.Err())
	}
}

func (c *conn) forget(id int64) {
	c.mu.Lock()
	if c.pending != nil {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

func (c *conn) close() error {
	c.wmu.Lock()
	_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c.wmu.Unlock()
	err := c.ws.Close()
	<-c.done
	if errors.Is(err, websocket.ErrCloseSent) {
		err = nil
	}
	return err
}
