package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/jackc/pgx/v5/pgconn"
)

// errUnavailable is what a client is told when the database cannot be
// reached: a 503, which every SDK retries, rather than a 500 that hides a
// passing outage behind an "internal error".
var errUnavailable = gatehouse.Errorf(gatehouse.EUNAVAILABLE, "The database is unavailable; try again shortly.")

// unavailable marks err as EUNAVAILABLE when it means the database could
// not be reached (connection refused or broken, server shutting down or
// starting up), keeping the original error for logs; any other error is
// returned as it is. It is applied where a request is admitted (opening a
// job, reserving credits, reading the team to plan a call), before any
// provider is called, so a request refused during an outage has done
// nothing and fails fast with a status that says "retry".
func unavailable(err error) error {
	if err == nil || !IsUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errUnavailable, err)
}

// IsUnavailable reports whether err means the database could not be
// reached, as opposed to refusing a query. A cancelled or timed-out
// request context is not an outage.
func IsUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, errUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connect) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08: connection exception; 57P01–57P03: the server is
		// shutting down, crashed, or not accepting connections yet.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	return false
}
