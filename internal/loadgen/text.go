package loadgen

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText prints one line per call and the totals, for people.
func (r *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "call\tsent\tdecoded\tanalyzed\tdropped\tlost pkts\tPLIs\tfirst decode ms\tcamera verdict ms\tcamera\toverall\t")
	for i, c := range r.Calls {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t", i+1, c.FramesSent, c.FramesDecoded, c.FramesAnalyzed,
			c.FramesDropped, c.PacketsLost, c.KeyframeRequests, c.FirstDecodedMS, c.FirstCameraVerdictMS, c.CameraStatus, c.Overall)
		if c.Error != "" {
			fmt.Fprintf(tw, " error: %s", c.Error)
		}
		fmt.Fprintln(tw)
	}
	t := r.Totals
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t\t\t\t\t\n", t.FramesSent, t.FramesDecoded, t.FramesAnalyzed, t.FramesDropped, t.PacketsLost, t.KeyframeRequests)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d calls, %d failed; dropped %.2f%% of frames sent; analyzed %.2f%% of frames decoded; "+
		"first camera verdict median %d ms, max %d ms, none in %d calls; %.1f s of video\n",
		t.Calls, t.Failed, t.DroppedPct, t.AnalyzedPct, t.FirstCameraVerdictMedianMS, t.FirstCameraVerdictMaxMS, t.NoCameraVerdict, t.VideoSeconds)
	return err
}
