package webhook

import (
	"net/netip"
	"testing"
)

func TestBlockedAddresses(t *testing.T) {
	for _, c := range []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true}, {"10.0.0.1", true}, {"172.16.5.4", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"fe80::1", true}, {"fd12:3456::1", true}, {"0.0.0.0", true}, {"0.1.2.3", true}, {"::", true},
		{"100.64.0.1", true}, {"198.18.0.1", true}, {"224.0.0.1", true}, {"255.255.255.255", true}, {"192.0.0.8", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:10.1.1.1", true}, {"64:ff9b::7f00:1", true}, {"64:ff9b::a9fe:a9fe", true}, {"2002:7f00:1::", true},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"2606:4700::1111", false}, {"64:ff9b::808:808", false}, {"2002:808:808::", false},
		{"::ffff:8.8.8.8", false}, {"100.128.0.1", false}, {"172.32.0.1", false},
	} {
		if got := blocked(netip.MustParseAddr(c.addr)); got != c.blocked {
			t.Errorf("blocked(%s) = %v, want %v", c.addr, got, c.blocked)
		}
	}
}
