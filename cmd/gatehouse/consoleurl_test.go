package main

import (
	"flag"
	"fmt"
	"io"
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

func TestTrustedProxiesConfig(t *testing.T) {
	for _, tc := range []struct {
		env, want string
		bad       bool
	}{
		{"", "[127.0.0.0/8 ::1/128]", false},
		{"10.0.0.0/8, 192.168.1.5", "[10.0.0.0/8 192.168.1.5/32]", false},
		{" ", "[]", false},
		{"10.0.0.300", "", true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		env := map[string]string{}
		if tc.env != "" {
			env["GATEHOUSE_TRUSTED_PROXIES"] = tc.env
		}
		c, err := loadConfig(fs, nil, func(k string) string { return env[k] })
		if tc.bad {
			if err == nil {
				t.Errorf("trusted_proxies %q accepted", tc.env)
			}
			continue
		}
		if err != nil || fmt.Sprint(c.TrustedProxies) != tc.want {
			t.Errorf("trusted_proxies %q: %v (err %v), want %s", tc.env, c.TrustedProxies, err, tc.want)
		}
	}
}
