package rtpframe

import (
	"reflect"
	"testing"
)

// recorder is a Window user that records the hooks' calls.
type recorder struct {
	w      Window[int]
	stats  Stats
	frames [][]int // Meta of each emitted frame's packets
	losses []Loss
}

func newRecorder(infer bool) *recorder {
	r := &recorder{}
	r.w.Init(&r.stats, infer, func(first, last int64) {
		var f []int
		for i := first; i <= last; i++ {
			f = append(f, r.w.At(i).Meta)
		}
		r.frames = append(r.frames, f)
	}, func(l Loss) {
		l.Next = min(l.Next, 0) // extended numbers are internal; keep "follows or not"
		r.losses = append(r.losses, l)
	})
	return r
}

// pkt is one packet of a Window test; the recorder stores its sequence number as Meta.
type pkt struct {
	seq         uint16
	ts          uint32
	start, mark bool
	pad         bool
}

func (r *recorder) put(ps ...pkt) {
	for _, p := range ps {
		payload := []byte{1}
		if p.pad {
			payload = nil
		}
		r.w.Put(p.seq, p.ts, p.mark, p.start, int(p.seq), payload)
	}
}

// frame returns the packets of one frame of n packets from seq, timestamp ts.
func frame(seq uint16, n int, ts uint32) []pkt {
	var out []pkt
	for i := range n {
		out = append(out, pkt{seq: seq + uint16(i), ts: ts, start: i == 0, mark: i == n-1})
	}
	return out
}

func cat(ps ...[]pkt) []pkt {
	var out []pkt
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

func TestWindow(t *testing.T) {
	// 3 packets every 3000 ticks; a hold of 100 ms is 3 more frames.
	var long []pkt
	for f := range 6 {
		long = append(long, frame(uint16(10+3*f), 3, uint32(3000*f))...)
	}
	lossy := append(append([]pkt{}, long[:4]...), long[5:]...) // seq 14 never arrives

	tests := []struct {
		name    string
		infer   bool
		pkts    []pkt
		frames  [][]int
		losses  []Loss
		dups    uint64
		padding uint64
	}{
		{name: "in order", pkts: cat(frame(65534, 3, 0), frame(1, 2, 3000)),
			frames: [][]int{{65534, 65535, 0}, {1, 2}}},
		{name: "reordered", pkts: []pkt{{seq: 2, ts: 9, mark: true}, {seq: 1, ts: 9}, {seq: 0, ts: 9, start: true}},
			frames: [][]int{{0, 1, 2}}},
		{name: "duplicate and late", pkts: cat(frame(5, 2, 0), frame(6, 1, 0), frame(7, 1, 3000)),
			frames: [][]int{{5, 6}, {7}}, dups: 1},
		{name: "padding ends a frame", pkts: []pkt{{seq: 0, ts: 0, start: true}, {seq: 1, ts: 0, pad: true}, {seq: 2, ts: 3000, start: true, mark: true}},
			frames: [][]int{{0}, {2}}, padding: 1},
		{name: "loss given up after the hold", pkts: lossy,
			frames: [][]int{{10, 11, 12}, {16, 17, 18}, {19, 20, 21}, {22, 23, 24}, {25, 26, 27}},
			losses: []Loss{{Frames: 1, Data: true, Missing: true}}},
		{name: "inferred starts", infer: true,
			pkts:   []pkt{{seq: 0, ts: 0, start: true, mark: true}, {seq: 1, ts: 3000}, {seq: 2, ts: 3000, mark: true}, {seq: 3, ts: 6000, mark: true}},
			frames: [][]int{{0}, {1, 2}, {3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(tt.infer)
			r.put(tt.pkts...)
			if !reflect.DeepEqual(r.frames, tt.frames) || !reflect.DeepEqual(r.losses, tt.losses) {
				t.Errorf("frames %v losses %+v, want %v %+v", r.frames, r.losses, tt.frames, tt.losses)
			}
			if r.stats.Duplicates != tt.dups || r.stats.Padding != tt.padding {
				t.Errorf("stats %+v, want %d duplicates %d padding", r.stats, tt.dups, tt.padding)
			}
			if err := checkWindow(&r.w); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestWindowRestart: resyncAfter packets older than the window mean the sender restarted its
// sequence numbers; the window reports a Restart and starts over from the next packet.
func TestWindowRestart(t *testing.T) {
	r := newRecorder(false)
	r.put(frame(40000, 1, 0)...)
	for i := range resyncAfter {
		r.put(pkt{seq: uint16(20000 + i), ts: 9000, start: true, mark: true})
	}
	want := []Loss{{Next: -1, Restart: true}}
	if !reflect.DeepEqual(r.losses, want) {
		t.Fatalf("losses %+v, want %+v", r.losses, want)
	}
	if len(r.frames) != 2 || r.frames[1][0] != 20000+resyncAfter-1 {
		t.Errorf("frames %v, want the first frame then the one that restarted the window", r.frames)
	}
	if r.stats.Duplicates != resyncAfter {
		t.Errorf("%d duplicates, want %d", r.stats.Duplicates, resyncAfter)
	}
}
