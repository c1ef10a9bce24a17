package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/litellm"
)

// runImport implements `gatehouse import litellm FILE [--dry-run]`: the
// same import --litellm-config runs at start, printing what it created,
// updated or skipped and why (with --dry-run, what it would, writing
// nothing). Running replicas pick the changes up from the change feed.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: gatehouse import litellm FILE [--dry-run] [flags]"
	if len(args) < 2 || args[0] != "litellm" {
		return errors.New(use)
	}
	rest := args[1:]
	var file string
	if !strings.HasPrefix(rest[0], "-") {
		file, rest = rest[0], rest[1:]
	} else {
		file, rest = rest[len(rest)-1], rest[:len(rest)-1]
		if strings.HasPrefix(file, "-") {
			return errors.New(use)
		}
	}
	fs := flag.NewFlagSet("import litellm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "print what would be created, updated or skipped, and change nothing")
	cfg, err := loadConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	lc, err := litellm.Load(file, getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareSchema(ctx, cfg, db, logger); err != nil {
		return err
	}
	if db.Sealer, err = loadSealer(ctx, cfg, db, logger); err != nil {
		return err
	}
	models := catalog.Default()
	db.Models = models
	rep, err := litellm.Import(ctx, db, models, lc, litellm.Options{DryRun: *dry})
	if rep != nil {
		rep.Write(stdout, *dry)
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	return nil
}
