package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
)

// Config is Concord's configuration. Defaults are set in one place
// (DefaultConfig); a JSON file named by CONCORD_CONFIG overrides them, the
// environment (CONCORD_*) overrides the file, and command-line flags
// override everything.
type Config struct {
	// DB is the database: a SQLite file path, or a postgres:// URL of a
	// PostgreSQL server shared by several Concord processes.
	DB string `json:"db"`
	// TLP marks records whose feed carries no marking.
	TLP string `json:"tlp"`
	// Home is the ISO 3166-1 country code the statistics call domestic.
	Home string `json:"home"`
	// Deadlines overrides the response time of request types, by type id,
	// as a Go duration or a number of days ("72h", "20d"); types left out
	// keep casework.DefaultDeadlines.
	Deadlines map[string]string `json:"deadlines,omitempty"`
}

// deadlines returns the request timers: the defaults with the configured
// response times over them. Validate has checked the values.
func (c Config) deadlines() casework.Deadlines {
	d := casework.DefaultDeadlines()
	for id, v := range c.Deadlines {
		t, _ := casework.ParseRequestType(id)
		dur, _ := parseDays(v)
		d.Response[t] = dur
	}
	return d
}

// parseDays reads a Go duration or a whole number of days ("20d").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(days) * casework.Day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as 72h or 20d", s)
	}
	return d, nil
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
	for id, v := range c.Deadlines {
		if _, err := casework.ParseRequestType(id); err != nil {
			return fmt.Errorf("config: deadlines: %w", err)
		}
		if _, err := parseDays(v); err != nil {
			return fmt.Errorf("config: deadlines.%s: %w", id, err)
		}
	}
	return c.deadlines().Validate()
}
