package notify

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxDatagram is the largest message read, as systemd's
// NOTIFY_BUFFER_MAX (PIPE_BUF): a longer one is cut by the kernel and
// dropped whole.
const maxDatagram = 4096

// SocketName is the file name of the socket in its directory.
const SocketName = "notify.sock"

// Datagram is one message a process sent to the socket, with the
// credentials the kernel attached (SCM_CREDENTIALS, translated into tend's
// PID namespace: PID 0 when the sender's pid has no number there).
type Datagram struct {
	Msg Message
	PID int
	UID int
	// Creds is false when the datagram carried no credentials: then PID and
	// UID mean nothing and the loop drops it.
	Creds bool
	// Truncated means the datagram was longer than 4 KiB; Msg is empty.
	Truncated bool
	// Descendant is what the check given to [Listen] said of PID when the
	// datagram was read.
	Descendant bool
}

// Socket is the notify socket of --notify: a unix datagram socket bound in
// a directory of its own. Only the event loop calls its methods.
type Socket struct {
	dir   string
	conn  *net.UnixConn
	c     chan Datagram
	check func(pid int) bool
}

// Owner is the user the child runs as (--user), who must be able to send
// to the socket; nil when the child runs as tend's own user.
type Owner struct{ UID, GID int }

// Candidates are the directories, in order, where [Listen] tries to make
// its own: an image FROM scratch may have none of them but /dev/shm (which
// the runtimes mount), or only a read-only /tmp.
func Candidates() []string {
	var out []string
	if d := os.Getenv("TMPDIR"); d != "" {
		out = append(out, d)
	}
	return append(out, "/run", "/tmp", "/dev/shm")
}

// Listen makes a private directory under the first of dirs where it can
// (mode 0700, or 0711 with the socket chowned to owner, so that the
// child's user can reach the socket but not list or change the
// directory), binds a unix datagram socket there with SO_PASSCRED, and
// starts one goroutine that reads datagrams into [Socket.C] until
// [Socket.Close]. The error names every directory tried.
//
// The goroutine calls check with each sender's pid (not 0) as soon as it
// has read the datagram, and records the answer in [Datagram.Descendant]:
// a sender such as systemd-notify exits right after sending, and once its
// parent has reaped it nothing under /proc says whose it was. check must
// be safe to call from that goroutine.
func Listen(dirs []string, owner *Owner, check func(pid int) bool) (*Socket, error) {
	var errs []error
	for _, base := range dirs {
		s, err := listenIn(base, owner)
		if err == nil {
			s.check = check
			go s.read()
			return s, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, errors.New("no directory to make the notify socket in")
	}
	// One line: tend prints its errors on one.
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return nil, errors.New(strings.Join(msgs, "; "))
}

func listenIn(base string, owner *Owner) (*Socket, error) {
	dir, err := os.MkdirTemp(base, "tend-notify-")
	if err != nil {
		return nil, err
	}
	s, err := bind(dir, owner)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func bind(dir string, owner *Owner) (*Socket, error) {
	path := filepath.Join(dir, SocketName)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err // names the path; a path over 107 bytes is EINVAL
	}
	s := &Socket{dir: dir, conn: conn, c: make(chan Datagram, 16)}
	fail := func(err error) (*Socket, error) {
		_ = conn.Close()
		return nil, err
	}
	if err := passCred(conn); err != nil {
		return fail(err)
	}
	if owner == nil {
		if err := os.Chmod(path, 0o600); err != nil {
			return fail(err)
		}
		return s, nil
	}
	// A connect or sendto on a unix socket needs write permission on
	// the file and search permission on the directories above it.
	if err := os.Chown(path, owner.UID, owner.GID); err != nil {
		return fail(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fail(err)
	}
	return s, nil
}

// passCred makes the kernel attach every sender's pid, uid and gid to
// what it sends (SO_PASSCRED): a sender cannot omit them, and cannot lie
// unless it is privileged (CAP_SYS_ADMIN for another pid), so they say
// who sent each datagram.
func passCred(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}); err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt SO_PASSCRED", serr)
}

// Path is the socket's path, what the child gets in NOTIFY_SOCKET.
func (s *Socket) Path() string { return filepath.Join(s.dir, SocketName) }

// C delivers the datagrams read, in order; it is closed once the socket
// is closed.
func (s *Socket) C() <-chan Datagram { return s.c }

// Close closes the socket, which ends the reader goroutine, and removes
// the directory.
func (s *Socket) Close() error {
	err := s.conn.Close()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}

// read is the reader goroutine: one datagram at a time, until the socket
// is closed. A datagram that cannot be read is skipped.
func (s *Socket) read() {
	defer close(s.c)
	buf := make([]byte, maxDatagram)
	// Room for the credentials and for descriptors a sender passes
	// (FDSTORE=1): they are closed at once, tend keeps none.
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*253))
	for {
		n, oobn, flags, _, err := s.conn.ReadMsgUnix(buf, oob)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		d := datagram(buf[:n], oob[:oobn], flags)
		if d.Creds && d.PID != 0 && s.check != nil {
			d.Descendant = s.check(d.PID)
		}
		s.c <- d
	}
}

// datagram builds the Datagram of one read: the message, the sender's
// credentials, and it closes every descriptor that came with it.
func datagram(b, oob []byte, flags int) Datagram {
	var d Datagram
	cmsgs, _ := unix.ParseSocketControlMessage(oob)
	for i := range cmsgs {
		if fds, err := unix.ParseUnixRights(&cmsgs[i]); err == nil {
			for _, fd := range fds {
				_ = unix.Close(fd)
			}
			continue
		}
		if cred, err := unix.ParseUnixCredentials(&cmsgs[i]); err == nil {
			d.PID, d.UID, d.Creds = int(cred.Pid), int(cred.Uid), true
		}
	}
	if flags&syscall.MSG_TRUNC != 0 {
		d.Truncated = true
		return d
	}
	d.Msg = Parse(b)
	return d
}
