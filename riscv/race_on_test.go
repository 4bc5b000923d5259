//go:build race

package riscv

// raceEnabled: the race detector slows the pure-Go reference decoder
// about tenfold, so the randomized decoder comparison uses fewer words.
const raceEnabled = true
