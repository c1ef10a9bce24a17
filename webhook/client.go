package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned (wrapped) when a delivery would connect
// to a loopback, private, link-local or otherwise internal address and
// the operator has not allowed that.
var ErrPrivateAddress = errors.New("webhook destination is a private, loopback or link-local address (set webhook_allow_private to allow)")

// blocked reports whether ip is one an outbound webhook must not reach
// by default: anything not globally routable — loopback, RFC 1918 and
// unique-local, link-local (cloud metadata at 169.254.169.254),
// unspecified and "this network" (0.0.0.0/8, which Linux connects to the
// host itself), multicast, CGNAT, benchmarking and reserved ranges — and
// an IPv6 address that embeds such an IPv4 address (IPv4-mapped, NAT64
// 64:ff9b::/96, 6to4 2002::/16).
func blocked(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return blocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	reserved  = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
		netip.MustParsePrefix("100.64.0.0/10"), // CGNAT
		netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),   // reserved, broadcast
	}
)

// NewClient returns the HTTP client deliveries use. Unless allowPrivate,
// the address is checked when the socket is about to connect
// (net.Dialer.Control), after DNS resolution: a name that resolves to a
// public address when the endpoint is registered and to 127.0.0.1 when
// it is called (DNS rebinding) is still refused, and so is every
// redirect, since redirects are not followed at all (a receiver answers;
// it does not send us elsewhere). Proxies from the environment are not
// used, so the check applies to the real destination.
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
			}
			if blocked(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
