// Package cli implements the concord command: one subcommand per file,
// parsed with the standard flag package. cmd/concord/main.go only calls Run.
package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
)

// Exit codes shared by the subcommands.
const (
	exitOK       = 0
	exitFailure  = 1 // something could not be done (an unreadable file, a failed check)
	exitUsage    = 2 // the command line or the action was invalid
	exitRejected = 2 // --strict and at least one record was rejected
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

// env is what every subcommand receives: its streams and configuration.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            Config
}

func commands() []command {
	return []command{
		{"ingest", "read feed and sensor files into the database", runIngest},
		{"serve", "the web interface and HTTP API: dashboard, events, reports, cases, requests, victim form", runServe},
		{"worker", "store what a NATS JetStream stream carries (fed by ingest --to nats://...)", runWorker},
		{"report", "statistics for a period: C&C servers, controlled hosts, attack sources, relay share", runReport},
		{"assess", "judge attribution from observations and evidence (ACH, ICD 203 likelihood, confidence)", runAssess},
		{"export", "write C&C servers and attack sources for partners: STIX 2.1 bundles", runExport},
		{"taxii", "TAXII 2.1: publish this node's STIX objects into concord serve's collections, pull a partner's", runTAXII},
		{"lookup", "show country, AS and relay flags of IP addresses", runLookup},
		{"victim", "take a victim's report (submit) and tell its status by reference (status)", runVictim},
		{"case", "open, show and list cases", runCase},
		{"evidence", "keep files as evidence: add, verify, export, custody, hold", runEvidence},
		{"request", "requests for assistance: create, move, list, show, export and import signed packages", runRequest},
		{"agency", "this node's agency and its partners, with their signing keys", runAgency},
		{"user", "staff accounts of the web interface: add, list, reset a password, disable, enable", runUser},
		{"token", "API tokens for scripts: create (shown once), list, revoke", runToken},
		{"audit", "verify the hash-chained audit log", runAudit},
		{"lists", "import relay and hosting lists (tor, proxy, vpn, hosting, sinkhole)", runLists},
		{"ipdb", "show or replace the IP-to-country and IP-to-AS database", runIPDB},
		{"migrate", "move a SQLite database to an empty PostgreSQL database and verify the move", runMigrate},
		{"demo", "generate realistic sample feeds and ingest them (the quickstart)", runDemo},
		{"formats", "list the input formats concord reads", runFormats},
		{"version", "print the version", runVersion},
	}
}

// Run executes the command line args and returns the process exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := LoadConfig()
	if err != nil {
		fmt.Fprintln(stderr, "concord:", err)
		return exitUsage
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, cfg: cfg}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if path := os.Getenv("CONCORD_CPUPROFILE"); path != "" {
				// For performance work: `CONCORD_CPUPROFILE=cpu.prof concord ingest ...`.
				defer profileCPU(path, stderr)()
			}
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "concord: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "concord — collect, measure, assess and share evidence of cyber attacks")
	fmt.Fprintln(w, "\nUsage: concord COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'concord COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Environment: CONCORD_DB (database path), CONCORD_TLP (default marking), CONCORD_CONFIG (config file).")
}

// newFlags returns a FlagSet that reports errors on e.stderr and does not
// exit the process.
func (e *env) newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: concord %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags allowing them after positional arguments too
// ("concord ingest eve.json --json"), as people type them.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// fail prints a message for the user and returns code.
func (e *env) fail(code int, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "concord: "+format+"\n", args...)
	return code
}

// printJSON writes v as one indented JSON document.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func runFormats(_ context.Context, e *env, args []string) int {
	fs := e.newFlags("formats", "")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	for _, f := range feedFormats() {
		fmt.Fprintf(e.stdout, "%-13s %s\n", f[0], f[1])
	}
	return exitOK
}

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

func runVersion(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stdout, "concord", Version)
	return exitOK
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// profileCPU starts a CPU profile written to path and returns the function
// that stops it.
func profileCPU(path string, stderr io.Writer) func() {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(stderr, "concord: cpu profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(stderr, "concord: cpu profile:", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// joinComma formats a list for messages.
func joinComma(s []string) string { return strings.Join(s, ", ") }
