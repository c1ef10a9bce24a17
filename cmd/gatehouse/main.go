// Command gatehouse runs the Gatehouse LLM gateway.
//
//	gatehouse serve            run the gateway (embedded SQLite by default)
//	gatehouse migrate up       apply pending database migrations
//	gatehouse migrate status   list migrations and whether each is applied
//	gatehouse backup FILE      copy the embedded database while it serves
//	gatehouse restore FILE     restore the embedded database (server stopped)
//	gatehouse version          print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/gatehouse-llm/gatehouse"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gatehouse:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: gatehouse <command> [flags]

commands:
  serve            run the gateway
  migrate up       apply pending database migrations
  migrate status   list migrations and whether each is applied
  import litellm FILE [--dry-run]
                   import a LiteLLM config's models, deployments and router settings
  backup FILE      copy the embedded SQLite database, consistently, while it serves
  restore FILE     replace the embedded database with a backup (servers stopped; checked first)
  version          print the version

Run "gatehouse <command> -h" for a command's flags.
`

// run is the whole program behind a testable signature: arguments,
// environment and output are passed in, and SIGINT/SIGTERM cancel ctx.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	setVersion()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "gatehouse", gatehouse.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// setVersion fills gatehouse.Version from the module build information
// unless the linker already set it.
func setVersion() {
	if gatehouse.Version != "dev" {
		return
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		gatehouse.Version = bi.Main.Version
	}
}
