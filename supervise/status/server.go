package status

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/tend-init/tend/supervise/internal/http1"
	"github.com/tend-init/tend/supervise/metrics"
)

// The --status-addr server is built on package net, not net/http, for the
// same reason as the HTTP probe (issue 3, "Size"): two routes, GET and HEAD,
// one request per connection.
//
// The response to GET /metrics is a few KiB rather than a few hundred
// bytes, which still fits the socket's send buffer: the write deadline
// stays the same.

const (
	// maxRequestHead bounds the request line and header fields together.
	maxRequestHead = 4 << 10
	// maxStatusConns bounds the connections open at once, and so the
	// descriptors and goroutines the server holds: tend's RLIMIT_NOFILE may
	// be small. A connection accepted when all are taken closes the oldest
	// idle one (see evictIdle).
	maxStatusConns = 16
	// statusReadTimeout bounds the time a client has to send its request
	// head (a probe sends it at once, in one segment), statusWriteTimeout
	// the time to take the response (a few hundred bytes, which fit in the
	// socket buffer).
	statusReadTimeout  = 2 * time.Second
	statusWriteTimeout = 2 * time.Second
)

// Snapshot is one snapshot of the supervisor's state, as the status endpoint
// serves it in JSON. The event loop publishes a fresh *Snapshot on each change
// and never modifies one after publishing it; [Server] only reads it.
type Snapshot struct {
	State     string    `json:"state"`                    // the loop's state, e.g. "starting", "running", "backoff", "stopping"
	PID       int       `json:"pid"`                      // the main child, 0 when none runs
	Restarts  int       `json:"restarts"`                 // restarts so far
	LastExit  *int      `json:"last_exit"`                // exit status of the last run, null before the first exit
	OOMKilled bool      `json:"oom_killed,omitempty"`     // the last run was killed by the OOM killer
	Probe     string    `json:"last_probe,omitempty"`     // "ok" or "failed: <err>"
	ProbeTime time.Time `json:"last_probe_time,omitzero"` // when the last probe finished
	Live      bool      `json:"live"`                     // /healthz answers 200
	Ready     bool      `json:"ready"`                    // /readyz answers 200
	// Notify is where the child stands in the sd_notify protocol with
	// --notify: "waiting" (no READY=1 yet), "ready" or "stopping"
	// (STOPPING=1); empty without --notify.
	Notify       string `json:"notify,omitempty"`
	NotifyStatus string `json:"notify_status,omitempty"` // the child's last STATUS=
}

// Server serves --status-addr: GET or HEAD /healthz (200 if the
// current [Snapshot] is Live, else 503) and /readyz (200 if Ready, else 503),
// each with the Snapshot as a JSON body; and /metrics (200, the Prometheus
// text format of [metrics.Metrics.WriteTo]) when it was given metrics. It speaks a strict subset of
// HTTP/1.1: one request per connection (Connection: close), a request head
// of at most 4 KiB read within 2s, no request body. It keeps at most 16
// connections open; a new one closes the oldest that is still waiting for
// its request head, so idle clients never keep a probe from its answer.
type Server struct {
	ln           net.Listener
	current      func() *Snapshot
	metrics      *metrics.Metrics // nil: no /metrics route
	logf         func(msg string, args ...any)
	readTimeout  time.Duration
	writeTimeout time.Duration
	slots        chan struct{} // one token per connection being served
	stop         chan struct{} // closed by Close
	done         chan struct{} // closed when the accept loop returns
	closeOnce    sync.Once
	closeErr     error

	mu    sync.Mutex
	conns map[net.Conn]*connState // being served; closed by Close
	seq   uint64                  // accept order, for evictIdle
	wg    sync.WaitGroup          // one per connection goroutine
}

// connState is what evictIdle needs to know of a connection being served.
// Server.mu guards it.
type connState struct {
	seq     uint64 // accept order
	idle    bool   // reading the request head, or draining after an answer
	evicted bool   // closed by evictIdle
}

// Listen listens on addr (host:port, as for [net.Listen] "tcp") at
// once, so that Run can report a bind error as a usage error before the
// child starts, and serves the status endpoint from one accept goroutine
// until [Server.Close]. current returns the latest Snapshot (nil before
// the first is published: then the endpoint answers 503 with state
// "starting"); it must be safe to call from other goroutines, as an
// [sync/atomic.Pointer] Load is. m, if not nil, is served on /metrics; the
// event loop records into it while connection goroutines write it out,
// which [metrics.Metrics] allows. logf, if not nil, receives accept errors
// and rejected requests (Run passes a debug logger).
func Listen(addr string, current func() *Snapshot, m *metrics.Metrics, logf func(msg string, args ...any)) (*Server, error) {
	return listen(addr, current, m, logf, statusReadTimeout, statusWriteTimeout)
}

func listen(addr string, current func() *Snapshot, m *metrics.Metrics, logf func(msg string, args ...any), readTimeout, writeTimeout time.Duration) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// A bind error names the address ("listen tcp ADDR: bind: address
		// already in use"); a lookup error does not ("listen tcp: lookup
		// tcp/x: unknown port").
		if !strings.Contains(err.Error(), addr) {
			err = fmt.Errorf("listen %q: %w", addr, err)
		}
		return nil, err
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Server{
		ln:           ln,
		current:      current,
		metrics:      m,
		logf:         logf,
		readTimeout:  readTimeout,
		writeTimeout: writeTimeout,
		slots:        make(chan struct{}, maxStatusConns),
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
		conns:        make(map[net.Conn]*connState),
	}
	go s.serve()
	return s, nil
}

// Addr returns the address the server listens on, with the port the kernel
// chose when addr asked for port 0.
func (s *Server) Addr() net.Addr {
	return s.ln.Addr()
}

// Close stops accepting, closes the connections being served and returns
// once the accept goroutine and every connection goroutine have returned.
// It returns the listener's close error; later calls return the same.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.closeErr = s.ln.Close()
		<-s.done
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s.closeErr
}

// serve is the accept loop. It owns the slots: a connection is served only
// once it holds a slot, so a flood costs at most maxStatusConns goroutines
// and descriptors (the kernel's backlog holds the rest). When every slot is
// taken, the oldest idle connection is closed to free one: a kubelet probe
// that finds 16 idle connections must still get its answer within its
// timeout (1s by default), or the kubelet restarts a healthy pod.
func (s *Server) serve() {
	defer close(s.done)
	var delay time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE, ENFILE, ENOBUFS: retry later rather than spin, as
			// net/http's Server.Serve does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logf("status accept failed", "err", err, "delay", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		select {
		case s.slots <- struct{}{}:
		default:
			s.evictIdle()
			// The evicted connection's goroutine returns its slot at once;
			// with none idle, every slot is writing a response, which its
			// write deadline bounds.
			select {
			case s.slots <- struct{}{}:
			case <-s.stop:
				_ = conn.Close()
				return
			}
		}
		s.mu.Lock()
		s.seq++
		s.conns[conn] = &connState{seq: s.seq, idle: true}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.handle(conn)
	}
}

// evictIdle closes the connection accepted first among those that are
// idle: still waiting for a request head (an idle client, or one stalled
// halfway), or draining after a rejected request. A connection writing its
// response is left alone. Its goroutine then returns and frees its slot.
func (s *Server) evictIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var oldest net.Conn
	var st *connState
	for c, cs := range s.conns {
		if cs.idle && !cs.evicted && (st == nil || cs.seq < st.seq) {
			oldest, st = c, cs
		}
	}
	if oldest == nil {
		return
	}
	st.evicted = true
	s.logf("status connection closed", "remote", oldest.RemoteAddr().String(), "reason", "idle while all connections were taken")
	_ = oldest.Close()
}

// setIdle marks conn idle or busy for evictIdle. It reports false if conn
// was already evicted: then nobody is left to answer.
func (s *Server) setIdle(conn net.Conn, idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.conns[conn]
	if st == nil || st.evicted {
		return false
	}
	st.idle = idle
	return true
}

// handle serves one request on conn and closes it.
func (s *Server) handle(conn net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		_ = conn.Close()
		<-s.slots
		s.wg.Done()
	}()
	_ = conn.SetReadDeadline(time.Now().Add(s.readTimeout))
	method, target, err := http1.ReadRequestHead(bufio.NewReaderSize(conn, 1024), maxRequestHead)
	var code int
	var header string
	var body []byte
	switch {
	case errors.Is(err, http1.ErrHeadTooLarge):
		code, body = 431, []byte("request head too large\n")
	case errors.Is(err, http1.ErrBadRequest):
		code, body = 400, []byte("bad request\n")
	case err != nil:
		return // timeout, reset or EOF: nobody is waiting for an answer
	default:
		code, header, body = s.route(method, target)
	}
	if !s.setIdle(conn, false) {
		return
	}
	if err != nil {
		s.logf("status request rejected", "remote", conn.RemoteAddr().String(), "status", code, "err", err)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	if _, err := conn.Write(http1.Response(code, header, body, method == "HEAD")); err != nil {
		s.logf("status response not sent", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	if err != nil && s.setIdle(conn, true) {
		drain(conn)
	}
}

// drain is for a rejected request whose rest is still unread. Closing a
// socket with unread input makes the kernel send RST, and an RST can
// destroy the response before the client reads it (RFC 9112 section 9.6);
// so send FIN, then discard input for a short, bounded while, as net/http
// does after a 431.
func drain(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.CopyN(io.Discard, conn, 256<<10)
}

// route answers a well-formed request. The query is ignored; an
// absolute-form target ("http://host/healthz") routes on its path.
func (s *Server) route(method, target string) (code int, header string, body []byte) {
	path, _, _ := strings.Cut(target, "?")
	for _, scheme := range []string{"http://", "https://"} {
		if len(path) >= len(scheme) && strings.EqualFold(path[:len(scheme)], scheme) {
			path = path[len(scheme):]
			if i := strings.IndexByte(path, '/'); i >= 0 {
				path = path[i:]
			} else {
				path = "/"
			}
		}
	}
	if path != "/healthz" && path != "/readyz" && (path != "/metrics" || s.metrics == nil) {
		return 404, "", []byte("not found\n")
	}
	if method != "GET" && method != "HEAD" {
		return 405, "Allow: GET, HEAD\r\n", []byte("method not allowed\n")
	}
	if path == "/metrics" {
		// Rendered in full even for HEAD, whose Content-Length is the
		// body's. Writing to a bytes.Buffer cannot fail.
		var b bytes.Buffer
		_, _ = s.metrics.WriteTo(&b)
		return 200, "Content-Type: " + metrics.ContentType + "\r\n", b.Bytes()
	}
	st := s.current()
	if st == nil {
		st = &Snapshot{State: "starting"}
	}
	body, err := json.Marshal(st)
	if err != nil {
		// Only a ProbeTime outside years 0-9999 can fail.
		s.logf("status encoding failed", "err", err)
		return 500, "", []byte("internal error\n")
	}
	ok := st.Live
	if path == "/readyz" {
		ok = st.Ready
	}
	code = 200
	if !ok {
		code = 503
	}
	return code, "Content-Type: application/json\r\n", append(body, '\n')
}
