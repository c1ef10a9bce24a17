package ratelimit

import (
	"cmp"
	"slices"
	"time"
)

// windowSeconds is the number of one-second buckets in a window. The Lua
// script in acquire.lua repeats it; the shared conformance tests keep the
// two in step.
const windowSeconds = 60

// secondOf returns the bucket (Unix second) holding instant ms, rounding
// down also before 1970 so that every bucket is exactly 1000 ms long.
func secondOf(ms int64) int64 {
	s := ms / 1000
	if ms%1000 < 0 {
		s--
	}
	return s
}

// live reports whether the bucket of second sec still counts at second cur.
// Buckets ahead of cur (a clock that stepped back) count too: it is safer
// to over-count briefly than to hand out capacity twice.
func live(sec, cur int64) bool {
	return sec > cur-windowSeconds
}

// window is one subject's usage of one limit over the last minute, held in
// process as a ring of one-second buckets so it needs no allocation and no
// pruning: a slot that holds an expired second is simply ignored.
type window struct {
	sec   [windowSeconds]int64 // the second each slot counts
	count [windowSeconds]int64
}

// slot is the ring index of second sec.
func slot(sec int64) int {
	return int((sec%windowSeconds + windowSeconds) % windowSeconds)
}

// used is the usage counted by the window at second cur.
func (w *window) used(cur int64) int64 {
	var n int64
	for i, c := range w.count {
		if c != 0 && live(w.sec[i], cur) {
			n += c
		}
	}
	return n
}

// idle reports whether nothing counts any more at second cur, so the
// subject holding the window can be forgotten.
func (w *window) idle(cur int64) bool {
	return w.used(cur) == 0
}

// charge adds n to the bucket of second cur, reusing its slot if it held an
// expired second.
func (w *window) charge(cur, n int64) {
	i := slot(cur)
	if w.sec[i] < cur {
		w.sec[i], w.count[i] = cur, 0
	}
	w.count[i] += n
}

// refund takes n back from the bucket of second sec if that bucket still
// counts at second cur; a bucket that already left the window has nothing
// left to take back. It never goes below zero.
func (w *window) refund(sec, cur, n int64) {
	i := slot(sec)
	if w.sec[i] != sec || !live(sec, cur) {
		return
	}
	w.count[i] = max(w.count[i]-n, 0)
}

// retryAfter is how long after instant nowMs (in second cur) a cost will
// fit under limit, given the window's current usage used, if nothing else
// is charged meanwhile: the time until the oldest buckets that must expire
// for it have left the window.
func (w *window) retryAfter(nowMs, cur, used, cost, limit int64) time.Duration {
	if cost > limit {
		return Window
	}
	var buf [windowSeconds]int
	order := buf[:0] // slots of counting buckets, oldest first
	for i, c := range w.count {
		if c != 0 && live(w.sec[i], cur) {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(w.sec[a], w.sec[b]) })
	for _, i := range order {
		used -= w.count[i]
		if used+cost <= limit {
			return time.Duration((w.sec[i]+windowSeconds)*1000-nowMs) * time.Millisecond
		}
	}
	return Window
}
