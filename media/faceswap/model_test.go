package faceswap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"syscall"
	"testing"
	"time"
)

// refCrop is the deterministic test crop of scripts/train-faceswap.py (lcg_crop): a smooth
// ramp plus LCG noise, so the reference needs no face picture in the repository.
func refCrop(seed int) []byte {
	s := uint32(seed)
	out := make([]byte, 3*CropSide*CropSide)
	for i := range out {
		s = s*1664525 + 1013904223
		p := i / 3
		y, x := p/CropSide, p%CropSide
		smooth := (x*(seed+1) + y*2*(seed+3)) % 256
		out[i] = byte((smooth + int(s>>24)/4) % 256)
	}
	return out
}

// TestModelMatchesPyTorch: the Go forward pass of the embedded model gives the logits PyTorch
// gave for the same inputs when the model was exported (testdata/reference.json).
func TestModelMatchesPyTorch(t *testing.T) {
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if bad := mismatches(t, m, "testdata/reference.json"); len(bad) > 0 {
		t.Error(bad)
	}
}

// TestModel128MatchesPyTorch: the same for a model that reads the 128-px crop itself (no 2×2
// average; scripts/train-faceswap.py --fixture: tiny, random weights, BatchNorm folded). Read
// as a 64-px model, the same weights must miss the reference, or the test could not tell the
// input paths apart.
func TestModel128MatchesPyTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/model128.bin")
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if bad := mismatches(t, m, "testdata/reference128.json"); len(bad) > 0 {
		t.Error(bad)
	}
	m.input = CropSide / 2
	if bad := mismatches(t, m, "testdata/reference128.json"); len(bad) == 0 {
		t.Error("the 128-px reference also matches the 64-px input path")
	}
}

// mismatches lists the seeds of the reference file whose Go logit differs from PyTorch's.
func mismatches(t *testing.T, m *Model, refPath string) []string {
	t.Helper()
	b, err := os.ReadFile(refPath)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Seeds  []int     `json:"seeds"`
		Logits []float64 `json:"logits"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Seeds) == 0 || len(ref.Seeds) != len(ref.Logits) {
		t.Fatalf("%s: %d seeds, %d logits", refPath, len(ref.Seeds), len(ref.Logits))
	}
	var buf net
	var bad []string
	for i, seed := range ref.Seeds {
		got := float64(m.Logit(refCrop(seed), &buf))
		if d := math.Abs(got - ref.Logits[i]); d > 1e-4*max(1, math.Abs(ref.Logits[i])) {
			bad = append(bad, fmt.Sprintf("seed %d: Go logit %.6f, PyTorch %.6f", seed, got, ref.Logits[i]))
		}
	}
	return bad
}

func TestLoadModelRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":       nil,
		"no weights":  []byte(`{"version":"x","input":64,"crop":128,"margin":1.5,"std":0.25,"layers":[{"in":3,"out":4,"k":3,"stride":2}]}` + "\n"),
		"wrong crop":  []byte(`{"version":"x","input":64,"crop":96,"margin":1.5,"std":0.25,"layers":[{"in":3,"out":4,"k":3,"stride":2}]}` + "\n"),
		"wrong input": withInput(t, 96),
		"bad header":  []byte("{\n"),
		"extra bytes": append(append([]byte{}, modelBin...), 0, 0, 0, 0),
	} {
		if _, err := LoadModel(b); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// withInput is the embedded model file with its header's input side set to side.
func withInput(t *testing.T, side int) []byte {
	t.Helper()
	nl := bytes.IndexByte(modelBin, '\n')
	var h map[string]any
	if err := json.Unmarshal(modelBin[:nl], &h); err != nil {
		t.Fatal(err)
	}
	h["input"] = side
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, modelBin[nl:]...)
}

func BenchmarkModel(b *testing.B) {
	m, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	crop := refCrop(1)
	var buf net
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		m.Logit(crop, &buf)
	}
	// CPU time, not wall time: the shared machine's load stretches the latter.
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
