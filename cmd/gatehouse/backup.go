package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
)

// fileAndFlags splits `FILE [flags]` or `[flags] FILE`.
func fileAndFlags(cmd string, args []string) (string, []string, error) {
	switch {
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		return args[0], args[1:], nil
	case len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-"):
		return args[len(args)-1], args[:len(args)-1], nil
	}
	return "", nil, fmt.Errorf("usage: gatehouse %s FILE [flags]", cmd)
}

// runBackup implements `gatehouse backup FILE`: a consistent copy of the
// embedded database taken while the server runs (VACUUM INTO reads one
// snapshot and blocks no writer), checked before it is reported.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	file, rest, err := fileAndFlags("backup", args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	if cfg.usesPostgres() {
		return errors.New("gatehouse backup copies the embedded SQLite database; back up PostgreSQL with pg_dump (see docs/operations.md)")
	}
	if _, err := os.Stat(cfg.sqlitePath()); err != nil {
		return fmt.Errorf("no database to back up at %s: %w", cfg.sqlitePath(), err)
	}
	// The copy holds key hashes and encrypted secrets: created empty,
	// owner-only, before SQLite fills it (VACUUM INTO accepts an empty
	// file); an existing file is never overwritten.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	f.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(file)
		}
	}()
	logger := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.BackupInto(ctx, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	took := time.Since(start)
	version, err := checkBackupFile(ctx, file)
	if err != nil {
		return err
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	ok = true
	fmt.Fprintf(stdout, "backup written to %s: %d bytes, schema version %d, integrity ok, %s\n", file, info.Size(), version, took.Round(time.Millisecond))
	if cfg.EncryptionKey == "" {
		fmt.Fprintf(stdout, "the encryption key is not in the backup: keep %s with it (provider keys and webhook secrets cannot be decrypted without it)\n",
			filepath.Join(cfg.DataDir, "encryption.key"))
	} else {
		fmt.Fprintln(stdout, "the encryption key is not in the backup: keep GATEHOUSE_ENCRYPTION_KEY with it (provider keys and webhook secrets cannot be decrypted without it)")
	}
	return nil
}

// checkBackupFile runs SQLite's integrity check on a fresh copy and
// returns its schema version; the copy is left as one self-contained file
// (its write-ahead log checkpointed and removed).
func checkBackupFile(ctx context.Context, path string) (int64, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	version, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s is not a Gatehouse database: %w", path, err)
	}
	if err := db.Checkpoint(ctx); err != nil {
		return 0, err
	}
	return version, nil
}

// runRestore implements `gatehouse restore FILE` for the embedded
// database. Nothing is replaced until every check passes: the server is
// stopped (no instance heartbeat younger than instance_expiry), the copy
// passes SQLite's integrity check, its schema is not newer than this
// binary's, every team's balance and held credits equal its ledger's sums,
// and the encryption key configured here is the one the copy's secrets
// were encrypted with. The database it replaces is kept beside it.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	file, rest, err := fileAndFlags("restore", args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	if cfg.usesPostgres() {
		return errors.New("gatehouse restore restores the embedded SQLite database; restore PostgreSQL with pg_restore (see docs/operations.md)")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	target := cfg.sqlitePath()

	// Checks run on a scratch copy in the data directory (the backup file
	// itself is never opened for writing), which then becomes the database.
	scratch := target + ".restoring"
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(scratch + s)
	}
	if err := copyFile(file, scratch); err != nil {
		return fmt.Errorf("copy %s: %w", file, err)
	}
	keep := false
	defer func() {
		if !keep {
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(scratch + s)
			}
		}
	}()
	version, err := verifyRestore(ctx, cfg, scratch)
	if err != nil {
		return err
	}

	var previous string
	if _, err := os.Stat(target); err == nil {
		db, err := sqlite.Open(ctx, target)
		if err != nil {
			return err
		}
		live, err := db.LiveInstances(ctx, cfg.InstanceExpiry)
		if err == nil && len(live) > 0 {
			err = fmt.Errorf("a gatehouse server is using %s (instances with a heartbeat within instance_expiry %s: %v); stop every server first (one killed moments ago counts until its heartbeat is that old)",
				target, cfg.InstanceExpiry, live)
		}
		if err == nil {
			err = db.Checkpoint(ctx)
		}
		db.Close()
		if err != nil {
			return err
		}
		previous = fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(target, previous); err != nil {
			return err
		}
		for _, s := range []string{"-wal", "-shm"} {
			// Emptied by the checkpoint; a stale log must never be
			// applied to the restored file.
			if err := os.Remove(target + s); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	if err := os.Rename(scratch, target); err != nil {
		return err
	}
	keep = true
	fmt.Fprintf(stdout, "restored %s into %s (schema version %d; integrity, books and encryption key checked)\n", file, target, version)
	if previous != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", previous)
	}
	return nil
}

// verifyRestore checks a copy about to become the database and returns
// its schema version.
func verifyRestore(ctx context.Context, cfg Config, path string) (int64, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		return 0, fmt.Errorf("refusing to restore: %w", err)
	}
	current, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("refusing to restore: not a Gatehouse database: %w", err)
	}
	if current > known {
		return 0, fmt.Errorf("refusing to restore: the backup's schema (version %d) is newer than this release's (%d); restore it with the release that made it", current, known)
	}
	if teams, err := db.UnbalancedTeams(ctx); err != nil {
		return 0, err
	} else if len(teams) > 0 {
		return 0, fmt.Errorf("refusing to restore: the credits of teams %v do not equal their ledger's sums", teams)
	}
	stored, ok, err := db.Setting(ctx, sqlstore.SettingEncryptionKeyFingerprint)
	if err != nil {
		return 0, err
	}
	if ok {
		key, where, err := restoreKey(cfg)
		if err != nil {
			return 0, fmt.Errorf("refusing to restore: the backup's secrets are encrypted and %w", err)
		}
		sealer, err := secret.NewSealer(key)
		if err != nil {
			return 0, err
		}
		if sealer.Fingerprint() != stored {
			return 0, fmt.Errorf("refusing to restore: the encryption key in %s is not the one the backup's provider keys and webhook secrets were encrypted with; restore that key too", where)
		}
	}
	if err := db.Checkpoint(ctx); err != nil {
		return 0, err
	}
	return current, nil
}

// restoreKey finds the encryption key the restored server will use.
func restoreKey(cfg Config) ([]byte, string, error) {
	if cfg.EncryptionKey != "" {
		k, err := secret.ParseKey(cfg.EncryptionKey)
		return k, "GATEHOUSE_ENCRYPTION_KEY", err
	}
	path := filepath.Join(cfg.DataDir, "encryption.key")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("no encryption key is configured (%v): put the key file the backup was made with at %s, or set GATEHOUSE_ENCRYPTION_KEY", err, path)
	}
	k, err := secret.ParseKey(strings.TrimSpace(string(raw)))
	return k, path, err
}

// copyFile copies src to a new owner-only dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
