package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// With debug_addr set, the goroutine profile (what bench/soak.sh samples)
// is served on that address, and on no other: the API port does not
// expose it.
func TestDebugAddrServesProfiles(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey, "GATEHOUSE_DEBUG_ADDR=" + addr})
	var body string
	eventually(t, "the profile listener answers", 10*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == 200
	})
	if !strings.HasPrefix(body, "goroutine profile: total ") {
		t.Fatalf("goroutine profile: %.200s", body)
	}
	resp, err := http.Get(p.URL + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Fatal("the API port serves runtime profiles")
	}
}
