//go:build !race

package liveness

const raceEnabled = false
