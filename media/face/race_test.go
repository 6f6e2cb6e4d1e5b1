//go:build race

package face

// raceEnabled: the race detector slows pigo about tenfold, so corpus tests sample fewer frames.
const raceEnabled = true
