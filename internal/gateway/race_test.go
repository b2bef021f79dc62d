//go:build race

package gateway

// raceEnabled: the race detector's instrumentation allocates, so allocation counts are
// checked only without it (.ci/run runs those tests once more without -race).
const raceEnabled = true
