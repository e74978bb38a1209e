package importers

import (
	"context"
	"fmt"
	"strings"

	"github.com/coopmap/coopmap"
)

// Import wires parsers by format name (cmd/coopmap passes importers/csv,
// importers/geojson and the rest) and replaces the source in one go.
// Here a stand-in parser reads lines of "key lon lat name" and the store
// lives in memory.
func ExampleImport() {
	st := newMemStore()
	opts := Options{
		Source: coopmap.Source{
			ID:          "coops-uk",
			Kind:        coopmap.KindCoops,
			Licence:     coopmap.Licence{ID: "ODC-By-1.0"},
			Attribution: "Contains data from Co-operatives UK, licensed under ODC-By 1.0.",
		},
		Formats: Formats{FormatCSV: lineParser},
	}
	data := "R006884 -3.654703 51.608344 Maesteg Workmen's Club\n!no coordinates\n"
	rep, err := Import(context.Background(), st, opts, Input{Name: "coops.txt", Reader: strings.NewReader(data)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Read, rep.Imported, rep.Skipped, rep.Added, rep.Problems[0])
	f, _ := st.Feature(context.Background(), "coops-uk.R006884")
	fmt.Println(f.Name, f.Precision)
	// Output:
	// 2 1 1 1 coops.txt:2: no coordinates
	// Maesteg Workmen's Club exact
}
