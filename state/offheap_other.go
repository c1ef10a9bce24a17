//go:build !unix

package state

// offHeap allocates on the Go heap where the system offers no anonymous
// mappings.
func offHeap[T any](n int) []T { return make([]T, n) }

// freeOffHeap leaves heap memory to the collector.
func freeOffHeap[T any]([]T) {}
