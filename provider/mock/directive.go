package mock

import (
	"strings"
	"time"
)

// directivePrefix opens a per-request directive: "[mock:key=value]".
const directivePrefix = "[mock:"

// directives are the behaviours one request asks for in its text.
type directives struct {
	failStatus int
	latency    time.Duration
	tool       string
}

// parseDirectives finds every "[mock:key=value]" in text. Unknown keys,
// malformed values and repeated keys are errors so that a test's typo is
// reported instead of quietly changing nothing.
func parseDirectives(name, text string) (directives, error) {
	var d directives
	seen := map[string]bool{}
	for {
		start := strings.Index(text, directivePrefix)
		if start < 0 {
			return d, nil
		}
		text = text[start+len(directivePrefix):]
		end := strings.IndexByte(text, ']')
		if end < 0 {
			return d, directiveError(name, "unterminated directive %q", directivePrefix+text)
		}
		body := text[:end]
		text = text[end+1:]
		key, value, ok := strings.Cut(body, "=")
		if !ok || value == "" {
			return d, directiveError(name, "directive %q must have the form [mock:key=value]", directivePrefix+body+"]")
		}
		if seen[key] {
			return d, directiveError(name, "directive %q is given twice", key)
		}
		seen[key] = true
		if err := d.set(name, key, value); err != nil {
			return d, err
		}
	}
}

// set applies one directive.
func (d *directives) set(name, key, value string) error {
	switch key {
	case "error":
		status, ok := parseStatus(value)
		if !ok {
			return directiveError(name, "[mock:error=%s]: want an HTTP status from 400 to 599", value)
		}
		d.failStatus = status
	case "latency":
		latency, err := time.ParseDuration(value)
		if err != nil || latency < 0 {
			return directiveError(name, "[mock:latency=%s]: want a non-negative duration such as 250ms or 2s", value)
		}
		d.latency = latency
	case "tool":
		if !validToolName(value) {
			return directiveError(name, "[mock:tool=%s]: a tool name has 1 to 64 letters, digits, '_' or '-'", value)
		}
		d.tool = value
	default:
		return directiveError(name, "unknown directive [mock:%s=...]; known: error, latency, tool", key)
	}
	return nil
}

// validToolName follows OpenAI's rule for function names.
func validToolName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
