// Command facecrops writes the face crops scripts/train-faceswap.py trains and evaluates the
// face-swap detector on, cut by the product's own face check (media/face) and crop
// (faceswap.Crop), so training sees exactly the pixels inference sees.
//
//	go run ./cmd/facecrops -corpus ../shared/corpus -out data/faceswap
//
// It reads the corpus's labels.csv and train/labels.csv and writes out/crops/NNNNN.png
// (faceswap.CropSide² RGB) and out/manifest.csv, one row per crop: the corpus row (path,
// label, attack, person), the swapper family (dfl_live, ghost, dfl_insightface, deepfacelab,
// blendface, generated_id; empty for genuine media), the source person of a generated swap,
// the time of the frame and the face box. Stills give every face the check found (at most
// four); clips give the main face at two frames a second over the first -limit.
//
// With -generate (default on) it also makes the generated_id family: for every genuine clip
// with a face of at least eval.SwapMinFace pixels, the face of a photograph of another person
// of train/faces held out of training (heldOutPhoto) is pasted onto it by eval.IDSwapper (rendered at 128 or 96 pixels,
// colour-matched, feathered, every third one sharpened), the clip is encoded with VP8 at
// -kbps as a call would be and decoded back, and cropped like the rest.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/eval"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/faceswap"
	"github.com/integritybot/integritybot/media/file"
	"github.com/integritybot/integritybot/media/vpx"
)

type options struct {
	corpus, out string
	limit       time.Duration
	genLimit    time.Duration
	every       time.Duration
	minFace     int
	generate    bool
	genOnly     bool
	kbps        int
}

func main() {
	var o options
	flag.StringVar(&o.corpus, "corpus", "../shared/corpus", "corpus root (labels.csv, train/labels.csv)")
	flag.StringVar(&o.out, "out", "/work/tmp/faceswap", "output directory (crops/, manifest.csv)")
	flag.DurationVar(&o.limit, "limit", 12*time.Second, "seconds of each clip cropped")
	flag.DurationVar(&o.genLimit, "gen-limit", 6*time.Second, "seconds of each generated swap")
	flag.DurationVar(&o.every, "every", 500*time.Millisecond, "interval between crops of a clip")
	flag.IntVar(&o.minFace, "min-face", 40, "smallest face box cropped, in frame pixels")
	flag.BoolVar(&o.generate, "generate", true, "also make and crop the generated_id swaps")
	flag.IntVar(&o.kbps, "kbps", 1000, "VP8 bitrate of the generated swaps")
	flag.BoolVar(&o.genOnly, "generated-only", false, "keep the corpus crops of an earlier run, make the generated_id swaps again")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "facecrops:", err)
		os.Exit(1)
	}
}

// writer numbers the crops and writes the manifest.
type writer struct {
	dir   string
	man   *csv.Writer
	n     int
	buf   []byte
	faces *face.Analyzer
}

var header = []string{"crop", "path", "label", "attack", "family", "person", "source_person", "t_s", "box", "frame"}

func run(ctx context.Context, o options) error {
	rows, err := eval.ReadLabels(filepath.Join(o.corpus, "labels.csv"))
	if err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	train, err := eval.ReadLabels(filepath.Join(o.corpus, "train", "labels.csv"))
	if err != nil {
		return fmt.Errorf("train labels: %w", err)
	}
	for i := range train { // paths of train/labels.csv are from the corpus root
		train[i].File = filepath.Join(o.corpus, train[i].Path)
	}
	proto, err := corpustest.NewFaces(face.Config{Interval: o.every})
	if err != nil {
		return fmt.Errorf("face check: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(o.out, "crops"), 0o755); err != nil {
		return err
	}
	var kept [][]string
	if o.genOnly {
		if kept, err = corpusRows(filepath.Join(o.out, "manifest.csv")); err != nil {
			return err
		}
	}
	mf, err := os.Create(filepath.Join(o.out, "manifest.csv"))
	if err != nil {
		return err
	}
	defer mf.Close()
	w := &writer{dir: o.out, man: csv.NewWriter(mf), buf: make([]byte, 3*faceswap.CropSide*faceswap.CropSide), faces: proto}
	if err := w.man.Write(header); err != nil {
		return err
	}
	for _, rec := range kept {
		if err := w.man.Write(rec); err != nil {
			return err
		}
		w.n++
	}
	all := append(slices.Clone(rows), train...)
	if o.genOnly {
		all = nil
	}
	for _, r := range all {
		if r.Label == eval.LabelAttack || r.Label == "attack_still" {
			if r.Attack != "face_swap" {
				continue // print and screen replays are another check's
			}
		}
		before := w.n
		if err := w.media(ctx, r, o, eval.SwapFamily(r.Path), ""); err != nil {
			return fmt.Errorf("%s: %w", r.Path, err)
		}
		slog.Info("cropped", "path", r.Path, "crops", w.n-before)
	}
	if o.generate {
		if err := generate(ctx, w, o, rows, train); err != nil {
			return fmt.Errorf("generated swaps: %w", err)
		}
	}
	w.man.Flush()
	if err := w.man.Error(); err != nil {
		return err
	}
	return mf.Close()
}

// corpusRows reads the rows of an earlier manifest up to the first generated crop (the corpus
// crops come first and are numbered from 0).
func corpusRows(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1 // an interrupted run leaves a short last row
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out [][]string
	for i, r := range recs {
		if i == 0 {
			continue
		}
		if len(r) != len(header) || r[4] == "generated_id" {
			break
		}
		if r[0] != fmt.Sprintf("%05d.png", i-1) {
			return nil, fmt.Errorf("%s: row %d is crop %s", path, i, r[0])
		}
		out = append(out, r)
	}
	return out, nil
}

// media crops every face of one corpus file.
func (w *writer) media(ctx context.Context, r eval.Row, o options, fam, srcPerson string) error {
	src, err := file.Open(ctx, r.File, file.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	if src.Info().Still {
		f, err := src.Next()
		if err != nil {
			return err
		}
		return w.still(r, f, fam)
	}
	var frames []*media.Frame
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if f.PTS > o.limit {
			break
		}
		frames = append(frames, f.Clone())
	}
	return w.clip(r, frames, o, fam, srcPerson)
}

// still crops up to four faces of a single picture.
func (w *writer) still(r eval.Row, f *media.Frame, fam string) error {
	fa := w.faces.Fresh()
	fa.Observe(f)
	for _, d := range fa.Detections() {
		if d.Rank < 4 && d.Box.Dx() >= 40 {
			if err := w.write(r, f, d.Box, fam, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// clip crops the main face of frames at the face check's interval.
func (w *writer) clip(r eval.Row, frames []*media.Frame, o options, fam, srcPerson string) error {
	fa := w.faces.Fresh()
	var dets []face.Detection
	for _, f := range frames {
		fa.Observe(f)
		dets = fa.Recent(dets[:0], 4)
		for _, d := range dets {
			if d.PTS == f.PTS && d.Rank == 0 && d.Box.Dx() >= o.minFace {
				if err := w.write(r, f, d.Box, fam, srcPerson); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w *writer) write(r eval.Row, f *media.Frame, box image.Rectangle, fam, srcPerson string) error {
	faceswap.Crop(w.buf, f, box)
	img := image.NewRGBA(image.Rect(0, 0, faceswap.CropSide, faceswap.CropSide))
	for i := range faceswap.CropSide * faceswap.CropSide {
		copy(img.Pix[4*i:4*i+3], w.buf[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	name := fmt.Sprintf("%05d.png", w.n)
	out, err := os.Create(filepath.Join(w.dir, "crops", name))
	if err != nil {
		return err
	}
	if err := png.Encode(out, img); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	w.n++
	return w.man.Write([]string{name, r.Path, r.Label, r.Attack, fam, r.Person, srcPerson,
		strconv.FormatFloat(f.PTS.Seconds(), 'f', 3, 64),
		fmt.Sprintf("%d %d %d %d", box.Min.X, box.Min.Y, box.Max.X, box.Max.Y), fmt.Sprintf("%dx%d", f.Width, f.Height)})
}

// sourceFace is one photograph of train/faces and its main face.
type sourceFace struct {
	row eval.Row
	f   *media.Frame
	box image.Rectangle
}

// heldOutPhoto tells the people of train/faces that scripts/train-faceswap.py holds out of
// training (its frac(person, "photo") >= 0.85): only their faces are pasted, so that no
// generated swap shows a face the detector was trained on as genuine.
func heldOutPhoto(person string) bool {
	h := sha256.Sum256([]byte("photo" + person))
	return float64(binary.BigEndian.Uint64(h[:8]))/math.Exp2(64) >= 0.85
}

// generate makes and crops the generated_id family (see the command's comment).
func generate(ctx context.Context, w *writer, o options, rows, train []eval.Row) error {
	var sources []sourceFace
	for _, r := range train {
		src, err := file.Open(ctx, r.File, file.Options{})
		if err != nil {
			return err
		}
		f, err := src.Next()
		src.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", r.Path, err)
		}
		if !heldOutPhoto(r.Person) {
			continue
		}
		fa := w.faces.Fresh()
		fa.Observe(f)
		for _, d := range fa.Detections() {
			if d.Rank == 0 && d.Box.Dx() >= 80 {
				sources = append(sources, sourceFace{row: r, f: f, box: d.Box})
			}
		}
	}
	if len(sources) == 0 {
		return errors.New("no source face of at least 80 px among the held-out people of train/faces")
	}
	k := 0
	for _, r := range rows {
		if r.Label != eval.LabelGenuine || r.Attack != "" {
			continue
		}
		frames, err := loadFrames(ctx, r.File, o.genLimit)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Path, err)
		}
		if len(frames) < 2 {
			continue
		}
		s := sources[(k*37+11)%len(sources)]
		for s.row.Person == r.Person {
			k++
			s = sources[(k*37+11)%len(sources)]
		}
		style := eval.SwapStyle{Render: 128}
		if k%2 == 1 {
			style.Render = 96
		}
		if k%3 == 2 {
			style.Sharpen = 1.5
		}
		k++
		sw := eval.NewIDSwapper(style, s.f, s.box, w.faces.Fresh())
		out := make([]*media.Frame, len(frames))
		for i, f := range frames {
			out[i], _ = sw.Frame(f)
		}
		if sw.MedianFace() < eval.SwapMinFace {
			continue
		}
		fps := int(float64(len(frames)-1)/(frames[len(frames)-1].PTS-frames[0].PTS).Seconds() + 0.5)
		coded, err := roundTrip(out, max(fps, 1), o.kbps)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Path, err)
		}
		g := r
		g.Path = "generated/" + strings.TrimSuffix(filepath.Base(r.Path), filepath.Ext(r.Path)) + "_idswap_" + s.row.Person
		g.Label, g.Attack = eval.LabelAttack, "face_swap"
		before := w.n
		if err := w.clip(g, coded, o, "generated_id", s.row.Person); err != nil {
			return err
		}
		slog.Info("generated", "path", g.Path, "render", style.Render, "sharpen", style.Sharpen, "crops", w.n-before)
	}
	return nil
}

func loadFrames(ctx context.Context, path string, limit time.Duration) ([]*media.Frame, error) {
	src, err := file.Open(ctx, path, file.Options{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var frames []*media.Frame
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) || err == nil && f.PTS > limit {
			return frames, nil
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, f.Clone())
	}
}

// roundTrip encodes frames with VP8 at kbps and decodes them back, as a call delivers them.
func roundTrip(frames []*media.Frame, fps, kbps int) ([]*media.Frame, error) {
	f0 := frames[0]
	w, h := f0.Width&^1, f0.Height&^1
	enc, err := vpx.NewEncoder(vpx.VP8, w, h, fps, kbps)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder(vpx.VP8)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	var out []*media.Frame
	for i, f := range frames {
		g := *f
		g.Width, g.Height = w, h
		pkts, err := enc.Encode(&g, i == 0)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		for _, p := range pkts {
			d, err := dec.Decode(p.Data, f.PTS)
			if err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
			if d != nil {
				out = append(out, d.Clone())
			}
		}
	}
	return out, nil
}
