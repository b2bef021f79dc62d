//go:build race

package mgmt

// raceEnabled: the race detector is on (the tests), so apiCache also checks that nobody
// changes a shared resource in place.
const raceEnabled = true
