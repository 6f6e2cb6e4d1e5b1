package eval

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

func pct(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**r)
}

// WriteText prints the summary as tables for a person.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Evaluation of %s: %d rows analyzed, %d photo rows skipped (source material), %d errors.\n",
		s.Labels, s.Rows, s.Skipped, len(s.Errors))
	b.WriteString("APCER = attacks the check passed / attacks; BPCER = genuine rows flagged (warn or fail) / genuine rows.\n")
	b.WriteString("unknown = the check could not decide (too little video, a still image); it is neither a flag nor a pass.\n\n")

	b.WriteString("Per check\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tgenuine\tpass\twarn\tfail\tunknown\tBPCER\tattacks\tpass\twarn\tfail\tunknown\tAPCER")
	for _, c := range s.Checks {
		g, a := c.Genuine, c.Attacks
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", c.Check,
			g.N, g.Pass, g.Warn, g.Fail, g.Unknown, pct(c.BPCER), a.N, a.Pass, a.Warn, a.Fail, a.Unknown, pct(c.APCER))
	}
	tw.Flush()

	b.WriteString("\nPer attack type (on the check that must catch it)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "attack\tcheck\tn\tpass\twarn\tfail\tunknown\tAPCER\tnot evaluated")
	for _, a := range s.Attacks {
		c := a.Counts
		check := a.Check
		if check == "" {
			check = "-"
		}
		ne := ""
		if a.NotEvaluated > 0 {
			ne = fmt.Sprintf("%d (%s)", a.NotEvaluated, a.Note)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", a.Attack, check, c.N, c.Pass, c.Warn, c.Fail, c.Unknown, pct(a.APCER), ne)
	}
	tw.Flush()

	b.WriteString("\nConfusion (rows: label/attack; columns: the check's status)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tlabel/attack\tn\tpass\twarn\tfail\tunknown")
	last := ""
	for _, r := range s.Confusion {
		check := r.Check
		if check == last {
			check = ""
		}
		last = r.Check
		c := r.Counts
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", check, r.Group, c.N, c.Pass, c.Warn, c.Fail, c.Unknown)
	}
	tw.Flush()

	if len(s.Errors) > 0 {
		b.WriteString("\nRows that could not be analyzed\n")
		for _, e := range s.Errors {
			fmt.Fprintf(&b, "  %s: %s\n", e.Path, e.Err)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
