// Command concord collects, measures, assesses and shares evidence of cyber
// attacks for national CERTs and police cybercrime units.
package main

import (
	"os"

	"github.com/concord-cert/concord/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
