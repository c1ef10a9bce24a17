package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runMigrate implements `gatehouse migrate up|status`.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return fmt.Errorf("usage: gatehouse migrate up|status [flags]")
	}
	sub := args[0]
	fs := flag.NewFlagSet("migrate "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	if sub == "up" {
		applied, err := db.Migrate(ctx, nil)
		for _, m := range applied {
			fmt.Fprintf(stdout, "applied %05d %s\n", m.Version, m.Name)
		}
		if err != nil {
			return err
		}
		current, _, err := db.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema is at version %d\n", current)
		return nil
	}

	statuses, err := db.MigrationStatuses(ctx)
	if err != nil {
		return err
	}
	for _, m := range statuses {
		state := "pending"
		if m.Applied {
			state = "applied"
		}
		fmt.Fprintf(stdout, "%05d  %-8s %s\n", m.Version, state, m.Name)
	}
	current, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database at version %d; this binary knows up to %d\n", current, known)
	if current > known {
		return fmt.Errorf("database schema version %d is newer than this binary's %d", current, known)
	}
	return nil
}
