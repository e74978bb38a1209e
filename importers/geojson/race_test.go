//go:build race

package geojson_test

// raceEnabled: the race detector multiplies time and memory, so the
// large-stream test runs smaller under it.
const raceEnabled = true
