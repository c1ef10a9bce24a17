//go:build unix

package state

import (
	"syscall"
	"unsafe"
)

// offHeap returns zeroed memory for n values of T from the operating
// system, outside the Go heap: the garbage collector neither scans it nor
// counts it when deciding how far the heap may grow, so a million keys
// cost their own size in memory and not that again in collector headroom.
// T must hold no pointers. The memory lives until freeOffHeap.
func offHeap[T any](n int) []T {
	var zero T
	size := n * int(unsafe.Sizeof(zero))
	if size == 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]T, n) // no mapping: the heap will do
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}

// freeOffHeap returns memory from offHeap to the operating system. s must
// not be used afterwards.
func freeOffHeap[T any](s []T) {
	if cap(s) == 0 {
		return
	}
	var zero T
	b := unsafe.Slice((*byte)(unsafe.Pointer(&s[:1][0])), cap(s)*int(unsafe.Sizeof(zero)))
	_ = syscall.Munmap(b) // not ours (the heap fallback): the collector frees it
}
