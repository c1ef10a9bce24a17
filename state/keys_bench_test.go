package state

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/google/uuid"
)

// heapAfter reports the live heap once build has run and the garbage
// collector has finished.
func heapAfter(build func() any) (uint64, any) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keep := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return after.HeapAlloc - before.HeapAlloc, keep
}

// BenchmarkKeyMemory compares what keys cost held the two ways
// considered: the compact index this package uses (outside the Go heap,
// so its size is read from the index itself), and a map from hash to
// *gatehouse.Key as the whole-snapshot state held them (Go heap). It
// reports bytes per key and heap objects per key (the collector's work).
func BenchmarkKeyMemory(b *testing.B) {
	const n = 200_000 // per-key figures do not depend on n
	keys := func(yield func(k *gatehouse.Key)) {
		created := time.Now()
		for i := range n {
			h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
			yield(&gatehouse.Key{ID: uuid.Must(uuid.NewV7()).String(), TeamID: "team-" + hex.EncodeToString(h[:3]),
				Name: "default", Prefix: "gh-sk-abcdef", Hash: hex.EncodeToString(h[:]), CreatedAt: created})
		}
	}
	for b.Loop() {
		x := newIndex()
		x.teams["t"] = 0
		x.teamSlots = []*gatehouse.Team{{ID: "t"}}
		keys(func(k *gatehouse.Key) { k.TeamID = "t"; x.PutKey(k) })
		compact := len(x.keys.chunks)*(1<<chunkBits)*int(unsafe.Sizeof(keyRec{})) + len(x.keys.slots)*4
		x.keys.release()
		var objs runtime.MemStats
		runtime.ReadMemStats(&objs)
		before := objs.HeapObjects
		mapped, keep2 := heapAfter(func() any {
			m := make(map[string]*gatehouse.Key)
			keys(func(k *gatehouse.Key) { m[k.Hash] = k })
			return m
		})
		runtime.ReadMemStats(&objs)
		runtime.KeepAlive(keep2)
		b.ReportMetric(float64(compact)/n, "compact-B/key")
		b.ReportMetric(float64(mapped)/n, "map-B/key")
		b.ReportMetric(float64(objs.HeapObjects-before)/n, "map-objects/key")
	}
}
