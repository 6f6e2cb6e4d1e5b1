//go:build race

package liveness

// raceEnabled: the race detector slows pigo about tenfold, so corpus tests run fewer clips.
const raceEnabled = true
