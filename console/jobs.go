package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

type jobsData struct {
	TeamID                     string
	Jobs                       []*gatehouse.Job
	Status, Type, Since, Until string
	Next                       string
}

// parseDay reads a YYYY-MM-DD form field as the start of that UTC day.
func parseDay(v string) *time.Time {
	if v == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil
	}
	return &t
}

func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := jobsData{TeamID: r.PathValue("id"), Status: q.Get("status"), Type: q.Get("job_type"), Since: q.Get("since"), Until: q.Get("until")}
	f := gatehouse.JobFilter{TeamID: d.TeamID, Status: d.Status, JobType: d.Type, Since: parseDay(d.Since), Page: keysetPage(r, 50)}
	if u := parseDay(d.Until); u != nil {
		end := u.Add(24 * time.Hour) // the whole of the until day
		f.Until = &end
	}
	jobs, _, err := s.Jobs.ListJobs(r.Context(), f)
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d.Jobs = jobs
	if n := len(jobs); n > 0 {
		d.Next = nextAfter(n, 50, gatehouse.Cursor{Time: jobs[n-1].CreatedAt, ID: jobs[n-1].ID})
	}
	s.render(w, r, http.StatusOK, "jobs", "Jobs of "+d.TeamID, "teams", d)
}

type jobData struct {
	Job   *gatehouse.Job
	Calls []*gatehouse.Call
	More  bool
}

// handleJob shows a job and every call in it (up to 500, oldest first:
// the job's totals always cover them all).
func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	team, id := r.PathValue("id"), r.PathValue("job")
	j, err := s.Jobs.FindJob(r.Context(), team, id)
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	calls, err := s.Jobs.JobCalls(r.Context(), team, id, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	s.render(w, r, http.StatusOK, "job", "Job "+id, "teams", jobData{Job: j, Calls: calls, More: int64(len(calls)) < j.CallCount})
}

var _ = url.PathEscape
