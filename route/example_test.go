package route_test

import (
	"context"
	"fmt"
	"os"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/route"
)

// Build a graph from an extract, then plan a route on it and read its
// cue sheet.
func ExampleGraph_Plan() {
	f, err := os.Open("../testdata/route/ladders.osm")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	g, _, err := route.Build(context.Background(), f, route.BuildOptions{Source: "ladders.osm"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The first ladder's Test Way is a cycleway.
	r, err := g.Plan(context.Background(), []orb.Point{{0, 51.5}, {0.005, 51.5}}, route.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.0f m, %.0f s\n", r.DistanceM, r.DurationS)
	for _, c := range r.Legs[0].Cues {
		fmt.Printf("%s (%.0f m)\n", c.Text, c.DistanceM)
	}
	// Output:
	// 346 m, 69 s
	// Head east on Start Street (69 m)
	// Continue straight onto Test Way (208 m)
	// Continue straight onto End Street (69 m)
	// Arrive at stop 2 (0 m)
}
