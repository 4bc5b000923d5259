//go:build race

package linux

// raceEnabled is true when the tests run under the race detector; the
// gemu command they run is then built with it too.
const raceEnabled = true
