package pmtiles

// Unexported parts, for the tests of package pmtiles_test.
var (
	EncodeDirectory   = encodeDirectory
	Directories       = directories
	Compress          = compress
	ErrTooManyEntries = errTooManyEntries
)
