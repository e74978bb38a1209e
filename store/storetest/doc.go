// Package storetest is the contract suite every coopmap.Store must pass.
//
// A store's own test calls Run with a function that opens a fresh, empty
// store; each subtest opens its own, so subtests are independent and their
// names show in `go test -v` once per store. Bench runs the shared
// benchmarks the same way. The suite is modelled on testing/slogtest.
package storetest
