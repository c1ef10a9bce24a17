package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.JobSupportService = (*DB)(nil)

// FindAnyJob returns a job by its id alone, for admins; team keys are
// served by FindJob, which is scoped to their team.
func (db *DB) FindAnyJob(ctx context.Context, jobID string) (*gatehouse.Job, error) {
	j, err := scanJob(db.sql.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, jobID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Job", jobID)
	}
	return j, err
}
