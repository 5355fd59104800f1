package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// TCP runs one --health-tcp probe: it connects to addr (HOST:PORT, as
// returned by [ParseHostPort]) and closes the connection at once. A
// connection is healthy; the dial error (refused, unreachable, i/o timeout)
// is returned as is, since [net.OpError] already names the address.
//
// The dial is bounded by ctx and, when timeout is positive, by timeout. The
// event loop's probe goroutine calls it and sends the result back to the
// loop; TCP itself neither logs nor retries.
func TCP(ctx context.Context, addr string, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// The handshake completed, which is all a TCP probe asks; an error from
	// Close says nothing about the peer's health.
	_ = conn.Close()
	return nil
}

// ParseHostPort validates a --health-tcp value: HOST:PORT with a non-empty
// host (a DNS name, an IPv4 address or a bracketed IPv6 address, zone
// allowed) and a numeric port from 1 to 65535. It returns the address in the
// form [net.Dialer] takes, with the port in canonical decimal. The config code
// reports its error as a usage error.
func ParseHostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("parse address %q: %w", s, err)
	}
	if err := checkProbeHost(host); err != nil {
		return "", fmt.Errorf("parse address %q: %w", s, err)
	}
	p, err := parsePort(port)
	if err != nil {
		return "", fmt.Errorf("parse address %q: %w", s, err)
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// parsePort accepts a decimal port number from 1 to 65535 (no service names,
// no sign).
func parsePort(port string) (int, error) {
	if port == "" {
		return 0, errors.New("missing port")
	}
	if strings.Trim(port, "0123456789") != "" {
		return 0, fmt.Errorf("invalid port %q: not a number", port)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("invalid port %q: not in 1-65535", port)
	}
	return int(p), nil
}

// checkProbeHost accepts an IP address (IPv6 with an optional zone made of
// letters, digits, '.', '_' and '-') or a DNS
// name made of letters, digits, '-' and '_' labels of at most 63 bytes, at
// most 253 bytes in all, with an optional final dot. Anything else (spaces,
// slashes, '@', control bytes) would only fail later at each probe, or worse,
// end up in a Host header.
func checkProbeHost(host string) error {
	if host == "" {
		return errors.New("missing host")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		// A zone is an interface name or index: keep it to those bytes.
		if strings.Trim(ip.Zone(), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			return fmt.Errorf("invalid zone in host %q", host)
		}
		return nil
	}
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("invalid host %q", host)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("invalid host %q", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("invalid host %q", host)
			}
		}
	}
	return nil
}
