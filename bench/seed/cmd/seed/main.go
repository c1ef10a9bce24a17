// Command seed fills a Gatehouse database with a seeded fleet (package
// bench/seed), so `gatehouse serve` can be tried and measured at SaaS
// size:
//
//	go run ./bench/seed/cmd/seed -data-dir /tmp/big -teams 100000 -keys-per-team 10 \
//		-jobs 1000000 -calls 10000000 -ledger 1000000 -audit 1000000 -hot 10
//	GATEHOUSE_MASTER_KEY=… gatehouse serve --data-dir /tmp/big
//
// With -database-url it seeds PostgreSQL instead (give the
// -encryption-key the replicas will use when seeding credentials). The
// database must be new: seeding is bulk loading, not an upsert.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "directory of the embedded SQLite database to create")
	dbURL := fs.String("database-url", "", "PostgreSQL database to seed instead")
	encKey := fs.String("encryption-key", "", "key credentials are encrypted with (PostgreSQL; SQLite uses data-dir/encryption.key)")
	var size seed.Size
	fs.IntVar(&size.Orgs, "orgs", 0, "organizations (default: one per 100 teams)")
	fs.IntVar(&size.Teams, "teams", 1000, "teams")
	fs.IntVar(&size.KeysPerTeam, "keys-per-team", 10, "virtual keys per team")
	fs.IntVar(&size.Jobs, "jobs", 10_000, "jobs")
	fs.IntVar(&size.Calls, "calls", 100_000, "call records")
	fs.IntVar(&size.Ledger, "ledger", 10_000, "ledger rows")
	fs.IntVar(&size.Audit, "audit", 10_000, "audit log entries")
	fs.IntVar(&size.HotTeamPercent, "hot", 10, "percent of jobs, calls and ledger rows for team 0")
	fs.IntVar(&size.Credentials, "credentials", 0, "organizations that get their own provider credential")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*dataDir == "") == (*dbURL == "") {
		return errors.New("give exactly one of -data-dir and -database-url")
	}
	db, keyFile, err := open(ctx, *dataDir, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, nil); err != nil {
		return err
	}
	if size.Credentials > 0 {
		if db.Sealer, err = sealer(ctx, db, keyFile, *encKey); err != nil {
			return err
		}
	}
	start := time.Now()
	f, err := seed.Fleet(ctx, db, size)
	if err != nil {
		return err
	}
	for _, t := range f.Took {
		fmt.Fprintf(stdout, "%-13s %10d rows  %8.1fs\n", t.What, t.Rows, t.Took.Seconds())
	}
	fmt.Fprintf(stdout, "seeded in %.1fs; team 0 key 0 is %s\n", time.Since(start).Seconds(), seed.KeySecret(0, 0))
	return nil
}

func open(ctx context.Context, dataDir, url string) (*sqlstore.DB, string, error) {
	if url != "" {
		db, err := postgres.Open(ctx, url)
		return db, "", err
	}
	path := filepath.Join(dataDir, "gatehouse.db")
	if _, err := os.Stat(path); err == nil {
		return nil, "", fmt.Errorf("%s exists; seed a new data directory", path)
	}
	db, err := sqlite.Open(ctx, path)
	return db, filepath.Join(dataDir, "encryption.key"), err
}

// sealer sets up credential encryption the way `gatehouse serve` will
// find it: the key file in the data directory or the given key, and its
// fingerprint stored in the database.
func sealer(ctx context.Context, db *sqlstore.DB, keyFile, given string) (*secret.Sealer, error) {
	var key []byte
	var err error
	switch {
	case given != "":
		key, err = secret.ParseKey(given)
	case keyFile != "":
		key, _, err = secret.LoadOrCreateKeyFile(keyFile)
	default:
		return nil, errors.New("-credentials with PostgreSQL needs -encryption-key")
	}
	if err != nil {
		return nil, err
	}
	s, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	if err := db.PutSetting(ctx, sqlstore.SettingEncryptionKeyFingerprint, s.Fingerprint()); err != nil {
		return nil, err
	}
	return s, nil
}
