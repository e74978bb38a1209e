// Package web is coopmap's HTTP server: a chi router with every route in
// routes.go, handlers that return errors, and one table (errors.go) that
// turns domain errors into HTTP statuses and RFC 9457 problem documents.
//
// It depends on the coopmap domain and its Store contract only, never on a
// concrete store.
package web
