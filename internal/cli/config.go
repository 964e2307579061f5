package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// Config is Concord's configuration. Defaults are set in one place
// (DefaultConfig); a JSON file named by CONCORD_CONFIG overrides them, the
// environment (CONCORD_*) overrides the file, and command-line flags
// override everything.
type Config struct {
	// DB is the database: a SQLite file path.
	DB string `json:"db"`
	// TLP marks records whose feed carries no marking.
	TLP string `json:"tlp"`
	// Home is the ISO 3166-1 country code the statistics call domestic.
	Home string `json:"home"`
}

// DefaultConfig returns the built-in defaults: a database in the user's
// data directory and TLP:AMBER.
func DefaultConfig() Config {
	return Config{DB: defaultDBPath(), TLP: event.DefaultTLP.String()}
}

func defaultDBPath() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "concord.db"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "concord", "concord.db")
}

// LoadConfig applies the file and the environment over the defaults and
// validates the result.
func LoadConfig() (Config, error) {
	cfg := DefaultConfig()
	if path := os.Getenv("CONCORD_CONFIG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	for name, dst := range map[string]*string{"CONCORD_DB": &cfg.DB, "CONCORD_TLP": &cfg.TLP, "CONCORD_HOME": &cfg.Home} {
		if v := os.Getenv(name); v != "" {
			*dst = v
		}
	}
	return cfg, cfg.Validate()
}

// Validate checks the values that can be checked without side effects.
func (c Config) Validate() error {
	if c.DB == "" {
		return fmt.Errorf("config: no database path (set CONCORD_DB or --db)")
	}
	if _, err := event.ParseTLP(c.TLP); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.Home != "" && (len(c.Home) != 2 || strings.ToUpper(c.Home) != c.Home) {
		return fmt.Errorf("config: home country %q is not an ISO 3166-1 alpha-2 code such as PL", c.Home)
	}
	return nil
}
