package ipdb

import (
	_ "embed"
	"fmt"
	"sync"
)

// defaultData is the snapshot built by gen from ip-location-db; see
// generate.go.
//
//go:embed data/default.cipdb
var defaultData []byte

var defaultDB = sync.OnceValues(func() (*DB, error) {
	db, err := Decode(defaultData)
	if err != nil {
		return nil, fmt.Errorf("ipdb: embedded default database: %w", err)
	}
	return db, nil
})

// Default returns the database embedded in the binary. It is decoded on the
// first call, which takes some tens of milliseconds, and shared afterwards.
func Default() (*DB, error) { return defaultDB() }
