// Package postgistest gives tests throwaway PostGIS stores: each in a
// fresh schema of the database named by COOPMAP_TEST_POSTGRES, dropped when
// the test ends, so tests in any package can share one database and run in
// parallel without seeing each other's data.
//
// Tests that use it skip when COOPMAP_TEST_POSTGRES is unset, and fail
// instead when CI is set, so a CI job cannot pass by testing nothing.
package postgistest
