package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// errNegativeTokens is returned for a negative estimate, which can only be
// a caller's bug; admitting it would hand out free tokens.
var errNegativeTokens = errors.New("ratelimit: estimated tokens must not be negative")

// normalize validates a call's subjects and merges those sharing a Key, so
// both implementations see each subject once and charge it once. The
// result keeps the order of first appearance; the input is not modified.
func normalize(subjects []Subject, estimatedTokens int64) ([]Subject, error) {
	if estimatedTokens < 0 {
		return nil, errNegativeTokens
	}
	out := make([]Subject, 0, len(subjects))
next:
	for _, s := range subjects {
		if s.Key == "" {
			return nil, errors.New("ratelimit: subject key must not be empty")
		}
		l := s.Limits
		if l.RequestsPerMinute < 0 || l.TokensPerMinute < 0 || l.Concurrent < 0 {
			return nil, fmt.Errorf("ratelimit: subject %q has a negative limit", s.Key)
		}
		for i := range out {
			if out[i].Key == s.Key {
				m := &out[i].Limits
				m.RequestsPerMinute = stricter(m.RequestsPerMinute, l.RequestsPerMinute)
				m.TokensPerMinute = stricter(m.TokensPerMinute, l.TokensPerMinute)
				m.Concurrent = stricter(m.Concurrent, l.Concurrent)
				continue next
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// stricter returns the smaller of two limits where zero means unlimited.
func stricter(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// worse returns the refusal to report out of the one kept so far (nil if
// none) and a new one: the longest wait wins, because the call cannot
// succeed before every refusing limit allows it; on a tie the first stays.
func worse(kept *Refused, subject, limit string, retryAfter time.Duration) *Refused {
	if kept != nil && kept.RetryAfter >= retryAfter {
		return kept
	}
	return &Refused{Subject: subject, Limit: limit, RetryAfter: retryAfter}
}
