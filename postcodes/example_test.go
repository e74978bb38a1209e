package postcodes_test

import (
	"fmt"

	"github.com/coopmap/coopmap/postcodes"
)

func Example() {
	tab, err := postcodes.Load()
	if err != nil {
		panic(err)
	}
	p, ok := tab.Lookup("cf34 9yy")
	fmt.Println(postcodes.Normalize("cf349yy"), p, ok)
	_, ok = tab.Lookup("BT40 3JY")
	fmt.Println(ok)
	// Output:
	// CF34 9YY [-3.65469 51.608347] true
	// false
}
