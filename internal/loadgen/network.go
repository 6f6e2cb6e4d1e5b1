package loadgen

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// network drops outgoing RTP packets where the network would: after the NACK responder has
// kept a copy, so the server's NACKs can recover a lost packet the way they do on a real
// link (a retransmission can be lost too). RTCP passes untouched.
type network struct {
	interceptor.NoOp
	drop func() bool
}

// networkFactory makes the network interceptor of one peer connection.
type networkFactory struct{ drop func() bool }

func (f networkFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &network{drop: f.drop}, nil
}

// BindLocalStream wraps the writer nearest the wire.
func (n *network) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if n.drop() {
			return len(payload), nil
		}
		return w.Write(h, payload, a)
	})
}
