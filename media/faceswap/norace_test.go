//go:build !race

package faceswap

const raceEnabled = false
