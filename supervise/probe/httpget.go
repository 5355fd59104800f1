package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tend-init/tend/supervise/internal/http1"
)

// The HTTP probe is built on package net, not net/http: net/http adds about
// 4.5 MB to bin/tend (budget 5 MiB) and 2.5 MB of RSS for a probe that only
// reads one status line (issue 3, "Size").

// maxResponseHead bounds what [HTTP] reads: the status line, plus the
// header fields of any 1xx interim responses before it.
const maxResponseHead = 4 << 10

// URL is a parsed --health-http URL, ready to be sent. [ParseURL]
// builds it; its fields are what goes on the wire.
type URL struct {
	Host       string // host:port to dial, IPv6 in brackets, zone kept
	HostHeader string // value of the Host header field: the URL's authority without a zone
	Path       string // request-target in origin form: path and query, never empty
}

// String returns the URL as it is requested, for logs and errors.
func (u URL) String() string {
	return "http://" + u.HostHeader + u.Path
}

// ParseURL parses a --health-http value. Only http:// URLs are
// accepted: https is not supported in this version (it would need
// crypto/tls), and neither are userinfo nor a fragment. The port defaults to
// 80, an IPv6 host is written in brackets ("http://[::1]:8080/healthz", a
// zone as %25), and an empty path is "/". The path and query may hold only
// the characters RFC 3986 allows (anything else must be percent-encoded),
// except that non-ASCII bytes are percent-encoded here.
//
// The config code calls it and reports the error as a usage error; the error
// names the value.
func ParseURL(s string) (URL, error) {
	u, err := parseURL(s)
	if err != nil {
		return URL{}, fmt.Errorf("parse URL %q: %w", s, err)
	}
	return u, nil
}

func parseURL(s string) (URL, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return URL{}, errors.New("missing http:// scheme")
	}
	switch strings.ToLower(scheme) {
	case "http":
	case "https":
		return URL{}, errors.New("https is not supported in this version")
	default:
		return URL{}, fmt.Errorf("unsupported scheme %q: only http is supported", scheme)
	}
	if strings.Contains(rest, "#") {
		return URL{}, errors.New("a fragment is not allowed")
	}
	authority, target := rest, "/"
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, target = rest[:i], rest[i:]
		if target[0] == '?' {
			target = "/" + target
		}
	}
	if strings.Contains(authority, "@") {
		return URL{}, errors.New("userinfo is not allowed")
	}

	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return URL{}, errors.New("missing ']' in host")
		}
		host, port = authority[1:end], authority[end+1:]
		if port != "" && port[0] != ':' {
			return URL{}, fmt.Errorf("invalid port %q after host", port)
		}
		port = strings.TrimPrefix(port, ":")
		if !strings.Contains(host, ":") {
			return URL{}, fmt.Errorf("invalid host %q: brackets are only for IPv6", host)
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i+1:]
		if strings.Contains(host, ":") {
			return URL{}, fmt.Errorf("invalid host %q: an IPv6 address needs brackets", authority)
		}
	}
	// RFC 6874: a zone is written "%25" in a URL, dialed as "%", and never
	// sent in the Host header.
	headerHost := host
	if zone := strings.IndexByte(host, '%'); zone >= 0 {
		if !strings.HasPrefix(host[zone:], "%25") || !strings.HasPrefix(authority, "[") {
			return URL{}, fmt.Errorf("invalid host %q: a zone is written %%25", host)
		}
		host = host[:zone] + "%" + host[zone+3:]
		headerHost = host[:zone]
	}
	if err := checkProbeHost(host); err != nil {
		return URL{}, err
	}
	n := 80
	if port != "" {
		var err error
		if n, err = parsePort(port); err != nil {
			return URL{}, err
		}
	}
	hostHeader := headerHost
	if strings.Contains(headerHost, ":") {
		hostHeader = "[" + headerHost + "]"
	}
	if port != "" {
		hostHeader += ":" + strconv.Itoa(n)
	}

	path, err := checkTarget(target)
	if err != nil {
		return URL{}, err
	}
	return URL{
		Host:       net.JoinHostPort(host, strconv.Itoa(n)),
		HostHeader: hostHeader,
		Path:       path,
	}, nil
}

// checkTarget validates a path and query against RFC 3986 (pchar, '/', '?',
// and well-formed %XX), percent-encoding non-ASCII bytes.
func checkTarget(target string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(target); i++ {
		c := target[i]
		switch {
		case c >= 0x80:
			fmt.Fprintf(&b, "%%%02X", c)
		case c == '%':
			if i+2 >= len(target) || !hexDigit(target[i+1]) || !hexDigit(target[i+2]) {
				return "", fmt.Errorf("invalid percent-encoding in %q", target)
			}
			b.WriteByte(c)
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0:
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("invalid character %q in path", c)
		}
	}
	return b.String(), nil
}

func hexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Healthy reports whether an HTTP status code from [HTTP] counts
// as healthy: 2xx and 3xx, as in Kubernetes' httpGet probe. Redirects are
// not followed, so a 3xx is healthy whatever its target says.
func Healthy(code int) bool {
	return 200 <= code && code < 400
}

// HTTP runs one --health-http probe: it connects to u.Host, sends
//
//	GET <u.Path> HTTP/1.1
//	Host: <u.HostHeader>
//	User-Agent: tend-probe
//	Connection: close
//
// reads the status line, then what follows of the response for a moment
// (see [drainResponse]), and closes the connection.
// It returns the status code; the caller decides with [Healthy].
// Interim 1xx responses (103 Early Hints) are skipped; redirects are not
// followed.
//
// Everything is bounded: the dial, the write and the reads by ctx and, when
// timeout is positive, by timeout; the response head read by
// maxResponseHead bytes. A status line that is not "HTTP/1.x NNN reason"
// is an error. The event loop's probe goroutine calls it and sends the result
// to the loop; errors name the URL.
func HTTP(ctx context.Context, u URL, timeout time.Duration) (code int, err error) {
	if err := u.check(); err != nil {
		return 0, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", u, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return 0, fmt.Errorf("get %s: %w", u, err)
		}
	}
	// A cancel (tend stopping) interrupts a blocked read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	req := "GET " + u.Path + " HTTP/1.1\r\nHost: " + u.HostHeader +
		"\r\nUser-Agent: tend-probe\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return 0, probeError(ctx, u, "write request", err)
	}
	code, err = http1.ReadStatusCode(conn, maxResponseHead)
	if err != nil {
		return 0, probeError(ctx, u, "read status line", err)
	}
	drainResponse(ctx, conn)
	return code, nil
}

// maxDrain and drainTime bound what [drainResponse] reads after the status
// line: Kubernetes reads 10 KiB of a probe's body.
const (
	maxDrain  = 64 << 10
	drainTime = 100 * time.Millisecond
)

// drainResponse reads and discards the rest of the response, at most
// maxDrain bytes for at most drainTime (or until the probe's own deadline),
// so that closing the connection sends a FIN: a socket closed with unread
// data answers with a reset, which the application may log as "connection
// reset by peer" at every probe.
func drainResponse(ctx context.Context, conn net.Conn) {
	deadline := time.Now().Add(drainTime)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if ctx.Err() != nil || conn.SetReadDeadline(deadline) != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, maxDrain))
}

// probeError names the URL and step, and reports a cancel as
// [context.Canceled] rather than as the deadline used to interrupt the I/O.
func probeError(ctx context.Context, u URL, step string, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		err = ctx.Err()
	}
	return fmt.Errorf("get %s: %s: %w", u, step, err)
}

// check rejects a URL that was not built by ParseURL and would
// put a broken or injected request on the wire.
func (u URL) check() error {
	bad := func(s string) bool {
		return s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
	}
	if bad(u.Host) || bad(u.HostHeader) || bad(u.Path) || u.Path[0] != '/' {
		return fmt.Errorf("get %+v: invalid probe URL", u)
	}
	return nil
}
