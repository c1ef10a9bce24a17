package main

import (
	"context"
	"log/slog"

	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
)

// openDB opens the configured database: PostgreSQL when a URL is given,
// the embedded SQLite file otherwise.
func openDB(ctx context.Context, c Config, logger *slog.Logger) (*sqlstore.DB, error) {
	if c.usesPostgres() {
		logger.Info("using PostgreSQL database")
		return postgres.Open(ctx, c.DatabaseURL)
	}
	logger.Info("using embedded SQLite database", "path", c.sqlitePath())
	return sqlite.Open(ctx, c.sqlitePath())
}
