package main

import (
	"net"
	"testing"
)

func TestConsoleURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"[::]:8003", "http://localhost:8003/admin/"},
		{"0.0.0.0:8003", "http://localhost:8003/admin/"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000/admin/"},
		{"[::1]:9000", "http://[::1]:9000/admin/"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := consoleURL(a); got != tc.want {
			t.Errorf("consoleURL(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}
