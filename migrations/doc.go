// Package migrations holds the embedded SQL that creates and upgrades the
// stores' schemas. It exists because go:embed needs a package; each store
// reads its own directory and applies the files itself.
//
// Files are named NNNN_description.sql, numbered from 0001 without gaps,
// one directory per store. A released migration is never edited: a schema
// change is a new file.
package migrations
