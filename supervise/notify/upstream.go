package notify

import (
	"errors"
	"net"
	"strings"
)

// Upstream is the notify socket tend itself was given in NOTIFY_SOCKET, by
// podman run --sdnotify=container or by a systemd unit of Type=notify: tend
// tells it once that the service is ready and once that it is stopping.
// The zero value (no NOTIFY_SOCKET) sends nothing. Only the event loop
// calls its methods.
type Upstream struct {
	addr     string
	ready    bool // READY=1 was sent
	stopping bool // STOPPING=1 was sent
}

// NewUpstream returns the client for addr, the value of NOTIFY_SOCKET: a
// path, or "@name" for the abstract namespace. An address systemd knows
// but tend does not speak (vsock:) is an error; "" gives the zero value.
func NewUpstream(addr string) (Upstream, error) {
	if addr != "" && !strings.HasPrefix(addr, "/") && !strings.HasPrefix(addr, "@") {
		return Upstream{}, errors.New("NOTIFY_SOCKET " + addr + ": want an absolute path or @name")
	}
	return Upstream{addr: addr}, nil
}

// Enabled reports whether there is a socket to tell.
func (u *Upstream) Enabled() bool { return u.addr != "" }

// Ready sends READY=1 the first time it is called; it reports whether it
// sent something, and the error of the send.
func (u *Upstream) Ready() (bool, error) {
	if u.addr == "" || u.ready {
		return false, nil
	}
	u.ready = true
	return true, u.send("READY=1")
}

// Stopping sends STOPPING=1 the first time it is called; it reports
// whether it sent something, and the error of the send.
func (u *Upstream) Stopping() (bool, error) {
	if u.addr == "" || u.stopping {
		return false, nil
	}
	u.stopping = true
	return true, u.send("STOPPING=1")
}

// send writes one datagram. The kernel attaches tend's credentials; the
// receiver (podman's conmon, systemd) checks them itself.
func (u *Upstream) send(msg string) error {
	// Go's net package maps a leading '@' to the abstract namespace.
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: u.addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	_, err = c.Write([]byte(msg))
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}
