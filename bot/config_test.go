package bot

import "testing"

// TestConfigDefaults: zero fields take DefaultConfig's values, except the two whose zero
// means something (no sampled analysis, auto base layer).
func TestConfigDefaults(t *testing.T) {
	z, d := Config{}.withDefaults(), DefaultConfig()
	if z.QueueSize != d.QueueSize || z.KeyframeInterval != d.KeyframeInterval || z.ReportInterval != d.ReportInterval ||
		z.SampleFPS != d.SampleFPS || z.SampleHold != d.SampleHold {
		t.Errorf("zero config = %+v, defaults %+v", z, d)
	}
	if z.SampleAfter != 0 || z.BaseLayer != "" || d.SampleAfter <= 0 || !d.BaseLayer.Valid() {
		t.Errorf("SampleAfter %v/%v, BaseLayer %q/%q", z.SampleAfter, d.SampleAfter, z.BaseLayer, d.BaseLayer)
	}
}
