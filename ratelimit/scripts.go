package ratelimit

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// The scripts live in .lua files so they can be read, and reviewed, as
// Lua. Each call sends only the script's digest (EVALSHA); a Redis that
// does not know it yet (first call, restart, SCRIPT FLUSH) gets the full
// script once more (EVAL), which is the only time a call takes a second
// round trip.
var (
	//go:embed acquire.lua
	acquireSource string
	acquireScript = redis.NewScript(acquireSource)

	//go:embed release.lua
	releaseSource string
	releaseScript = redis.NewScript(releaseSource)
)

// Limit codes returned by acquire.lua, in the order the script checks them.
var scriptLimits = [...]string{1: LimitRequestsPerMinute, 2: LimitTokensPerMinute, 3: LimitConcurrent}
