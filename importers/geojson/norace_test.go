//go:build !race

package geojson_test

const raceEnabled = false
