package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestParseStatusLine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{name: "ok", in: "HTTP/1.1 200 OK", want: 200},
		{name: "http/1.0", in: "HTTP/1.0 503 Service Unavailable", want: 503},
		{name: "no reason", in: "HTTP/1.1 204", want: 204},
		{name: "empty reason", in: "HTTP/1.1 204 ", want: 204},
		{name: "reason with tab and obs-text", in: "HTTP/1.1 404 Not\tFound \xe9", want: 404},
		{name: "999", in: "HTTP/1.1 999 x", want: 999},
		{name: "100", in: "HTTP/1.1 100 Continue", want: 100},
		{name: "empty", in: "", wantErr: true},
		{name: "http/2", in: "HTTP/2 200", wantErr: true},
		{name: "http/1.10", in: "HTTP/1.10 200 OK", wantErr: true},
		{name: "lower case", in: "http/1.1 200 OK", wantErr: true},
		{name: "two digits", in: "HTTP/1.1 20 OK", wantErr: true},
		{name: "four digits", in: "HTTP/1.1 2000 OK", wantErr: true},
		{name: "leading zero", in: "HTTP/1.1 099 x", wantErr: true},
		{name: "two spaces", in: "HTTP/1.1  200 OK", wantErr: true},
		{name: "sign", in: "HTTP/1.1 +20 OK", wantErr: true},
		{name: "tab separator", in: "HTTP/1.1\t200 OK", wantErr: true},
		{name: "cr in reason", in: "HTTP/1.1 200 O\rK", wantErr: true},
		{name: "nul in reason", in: "HTTP/1.1 200 O\x00K", wantErr: true},
		{name: "trailing cr", in: "HTTP/1.1 200 OK\r", wantErr: true},
		{name: "ssh banner", in: "SSH-2.0-OpenSSH_9.6", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatusLine([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseStatusLine(%q) = %d, %v; want %d, error %t", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func FuzzParseStatusLine(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK",
		"HTTP/1.0 301 Moved Permanently",
		"HTTP/1.1 204",
		"HTTP/1.1 103 Early Hints",
		"HTTP/1.1 500 \xff\t",
		"HTTP/2 200",
		"HTTP/1.1 2000",
		"HTTP/1.1 0200",
		"",
		"\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		code, err := ParseStatusLine(line)
		if err != nil {
			if code != 0 {
				t.Fatalf("ParseStatusLine(%q) = %d, %v; want 0 with an error", line, code, err)
			}
			return
		}
		if code < 100 || code > 999 {
			t.Fatalf("ParseStatusLine(%q) = %d; want 100..999", line, code)
		}
		// Whatever the strict parser takes, net/http takes too, with the same code.
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(line, "\r\n\r\n"...))), nil)
		if err != nil {
			t.Fatalf("ParseStatusLine(%q) = %d, but net/http rejects it: %v", line, code, err)
		}
		if resp.StatusCode != code {
			t.Fatalf("ParseStatusLine(%q) = %d; net/http reads %d", line, code, resp.StatusCode)
		}
	})
}

// TestProbeHTTP probes Go's net/http server.
func FuzzParseRequestHead(f *testing.F) {
	for _, s := range []string{
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /readyz?x=1 HTTP/1.0\n\n",
		"\r\nGET http://h/readyz HTTP/1.1\r\nHost: h\r\nUser-Agent: kube-probe/1.31\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
		"GET /healthz HTTP/1.1\rHost: x\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"",
	} {
		f.Add([]byte(s), 4096)
	}
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 20)
	f.Add([]byte("GET /"+strings.Repeat("a", 300)+" HTTP/1.1\r\nHost: x\r\n\r\n"), 256)
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), -1)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		limit = 1 + int(uint(limit)%8192)
		cr := &countingReader{r: bytes.NewReader(in)}
		r := bufio.NewReaderSize(cr, 16)
		method, target, err := ReadRequestHead(r, limit)
		if err != nil {
			if method != "" || target != "" {
				t.Fatalf("ReadRequestHead(%q) = %q, %q, %v; want empty with an error", in, method, target, err)
			}
			return
		}
		if consumed := cr.n - r.Buffered(); consumed > limit {
			t.Fatalf("ReadRequestHead(%q, %d) consumed %d bytes", in, limit, consumed)
		}
		if !IsToken([]byte(method)) || !ValidTarget([]byte(target)) {
			t.Fatalf("ReadRequestHead(%q) = %q, %q; want a token and a target", in, method, target)
		}
		// Whatever the strict parser takes, net/http takes too.
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(in))))
		if err != nil {
			if strings.Contains(err.Error(), "malformed HTTP request") || strings.Contains(err.Error(), "invalid") {
				// net/http parses the target as a URL (escapes, hosts),
				// which the status server need not do.
				return
			}
			t.Fatalf("ReadRequestHead(%q) = %q, %q, but net/http rejects it: %v", in, method, target, err)
		}
		if req.Method != method || req.RequestURI != target {
			t.Fatalf("ReadRequestHead(%q) = %q, %q; net/http reads %q, %q", in, method, target, req.Method, req.RequestURI)
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
