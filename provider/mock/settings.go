package mock

import (
	"strconv"
	"time"
)

// maxLatency bounds the total simulated latency so a typo in a test cannot
// hold a gateway connection for an hour.
const maxLatency = time.Minute

// settings are the endpoint's configuration, from provider.Endpoint.Extra.
type settings struct {
	latency    time.Duration
	failStatus int
	fixedText  string
}

// parseSettings reads "latency_ms", "error_status" and "fixed_text". A
// malformed value is an operator's mistake; it fails every call loudly
// rather than being ignored.
func parseSettings(name string, extra map[string]string) (settings, error) {
	s := settings{fixedText: DefaultFixedText}
	if v, ok := extra["latency_ms"]; ok {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 || ms > int(maxLatency/time.Millisecond) {
			return s, configError(name, "latency_ms must be whole milliseconds from 0 to 60000, got %q", v)
		}
		s.latency = time.Duration(ms) * time.Millisecond
	}
	if v, ok := extra["error_status"]; ok {
		status, ok := parseStatus(v)
		if !ok {
			return s, configError(name, "error_status must be an HTTP status from 400 to 599, got %q", v)
		}
		s.failStatus = status
	}
	if v, ok := extra["fixed_text"]; ok {
		s.fixedText = v
	}
	return s, nil
}

// parseStatus accepts an error status a client could receive, 400 to 599.
func parseStatus(v string) (int, bool) {
	status, err := strconv.Atoi(v)
	if err != nil || status < 400 || status > 599 {
		return 0, false
	}
	return status, true
}

// combine merges the endpoint's settings with the request's directives:
// latencies add up, and a directive's error status wins over the
// endpoint's.
func combine(name string, s settings, d directives) (time.Duration, int, error) {
	latency := s.latency + d.latency
	if d.latency > maxLatency || latency > maxLatency {
		return 0, 0, directiveError(name, "total latency %s exceeds the maximum of %s", latency, maxLatency)
	}
	status := s.failStatus
	if d.failStatus != 0 {
		status = d.failStatus
	}
	return latency, status, nil
}
