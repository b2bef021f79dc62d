//go:build !race

package mgmt

// raceEnabled: see race.go.
const raceEnabled = false
