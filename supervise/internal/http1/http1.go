package http1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadStatusCode reads response heads from r until a final (non-1xx) status line
// and returns its code. At most limit bytes are read in all.
func ReadStatusCode(r io.Reader, limit int) (int, error) {
	lr := &io.LimitedReader{R: r, N: int64(limit)}
	br := bufio.NewReaderSize(lr, limit)
	readLine := func() ([]byte, error) {
		line, err := br.ReadSlice('\n')
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull), errors.Is(err, io.EOF) && lr.N == 0:
			return nil, fmt.Errorf("response head longer than %d bytes", limit)
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("connection closed after %d bytes: %w", int64(limit)-lr.N, io.ErrUnexpectedEOF)
		default:
			return nil, err
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, nil
	}
	for {
		line, err := readLine()
		if err != nil {
			return 0, err
		}
		code, err := ParseStatusLine(line)
		if err != nil {
			return 0, err
		}
		if code >= 200 || code == 101 {
			return code, nil
		}
		// An interim response: skip its header fields up to the empty line.
		for {
			field, err := readLine()
			if err != nil {
				return 0, err
			}
			if len(field) == 0 {
				break
			}
		}
	}
}

// ParseStatusLine parses an HTTP/1.x status line without its line ending
// (RFC 9112 section 4): "HTTP/1." DIGIT SP 3DIGIT [SP reason], where the
// reason holds only tabs, spaces, visible ASCII and obs-text. It returns a
// code from 100 to 999.
func ParseStatusLine(line []byte) (int, error) {
	const proto = "HTTP/1."
	bad := func(why string) (int, error) {
		shown := line
		if len(shown) > 64 {
			shown = shown[:64]
		}
		return 0, fmt.Errorf("malformed status line %q: %s", shown, why)
	}
	if len(line) < len(proto)+1 || string(line[:len(proto)]) != proto || !asciiDigit(line[len(proto)]) {
		return bad("not HTTP/1.x")
	}
	rest := line[len(proto)+1:]
	if len(rest) < 4 || rest[0] != ' ' || !asciiDigit(rest[1]) || !asciiDigit(rest[2]) || !asciiDigit(rest[3]) || rest[1] == '0' {
		return bad("no 3-digit status code")
	}
	code := int(rest[1]-'0')*100 + int(rest[2]-'0')*10 + int(rest[3]-'0')
	rest = rest[4:]
	if len(rest) > 0 && rest[0] != ' ' {
		return bad("no space after the status code")
	}
	for _, c := range rest {
		if c < ' ' && c != '\t' || c == 0x7f {
			return bad("control character in reason")
		}
	}
	return code, nil
}

func asciiDigit(c byte) bool { return '0' <= c && c <= '9' }

// Response renders a complete HTTP/1.1 response. header holds extra fields,
// each ending in CRLF; a text/plain Content-Type is added when it has none.
// A response to HEAD has the Content-Length of the body it leaves out.
func Response(code int, header string, body []byte, head bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, StatusText(code))
	b.WriteString(header)
	if !strings.Contains(header, "Content-Type:") {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	b.WriteString("Cache-Control: no-store\r\nConnection: close\r\n\r\n")
	if !head {
		b.Write(body)
	}
	return b.Bytes()
}

// StatusText is the reason phrase of the codes the status server sends.
func StatusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 431:
		return "Request Header Fields Too Large"
	case 503:
		return "Service Unavailable"
	default:
		return "Internal Server Error"
	}
}

var (
	// ErrBadRequest is the cause of every malformed request head (400).
	ErrBadRequest = errors.New("malformed request")
	// ErrHeadTooLarge is the cause when the head exceeds its bound (431).
	ErrHeadTooLarge = errors.New("request head too large")
)

// ReadRequestHead reads an HTTP/1.x request head (RFC 9112) from r: the
// request line, then header fields up to the empty line, reading at most
// limit bytes. Lines end in CRLF or LF; a bare CR elsewhere, obsolete line
// folding, a space before a field's colon, a control byte, or an HTTP/1.1
// request without exactly one Host field is ErrBadRequest; more than limit
// bytes is ErrHeadTooLarge; a read error is returned as is (EOF
// before the first byte, else io.ErrUnexpectedEOF). Leading empty
// lines are skipped. It returns the method and the request-target (origin
// form "/path?query", absolute form, or "*"); the fields are checked and
// dropped, and any body is left unread.
func ReadRequestHead(r *bufio.Reader, limit int) (method, target string, err error) {
	n := 0 // bytes read
	readLine := func() ([]byte, error) {
		var line []byte
		for {
			frag, err := r.ReadSlice('\n')
			n += len(frag)
			if n > limit {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrHeadTooLarge, limit)
			}
			line = append(line, frag...)
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line = line[:len(line)-1]
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return nil, fmt.Errorf("%w: bare CR", ErrBadRequest)
		}
		return line, nil
	}

	var line []byte
	for len(line) == 0 {
		if line, err = readLine(); err != nil {
			return "", "", err
		}
	}
	m, rest, ok1 := bytes.Cut(line, []byte(" "))
	t, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 {
		return "", "", fmt.Errorf("%w: request line %q", ErrBadRequest, clip(line))
	}
	if !IsToken(m) {
		return "", "", fmt.Errorf("%w: method %q", ErrBadRequest, clip(m))
	}
	if !ValidTarget(t) {
		return "", "", fmt.Errorf("%w: request target %q", ErrBadRequest, clip(t))
	}
	if len(proto) != len("HTTP/1.1") || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || !asciiDigit(proto[7]) {
		return "", "", fmt.Errorf("%w: version %q", ErrBadRequest, clip(proto))
	}

	hosts := 0
	for {
		field, err := readLine()
		if err != nil {
			return "", "", err
		}
		if len(field) == 0 {
			break
		}
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok || !IsToken(name) {
			// Also catches obs-fold (a leading space) and "Name :".
			return "", "", fmt.Errorf("%w: header field %q", ErrBadRequest, clip(field))
		}
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return "", "", fmt.Errorf("%w: control byte in field %q", ErrBadRequest, clip(name))
			}
		}
		if strings.EqualFold(string(name), "Host") {
			hosts++
		}
	}
	if hosts > 1 || hosts == 0 && proto[7] != '0' {
		return "", "", fmt.Errorf("%w: %d Host fields", ErrBadRequest, hosts)
	}
	return string(m), string(t), nil
}

// IsToken reports whether b is an RFC 9110 token (a method or field name).
func IsToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// ValidTarget accepts origin form, absolute form (http or https) and "*",
// made of visible ASCII.
func ValidTarget(t []byte) bool {
	switch {
	case len(t) == 0:
		return false
	case t[0] == '/', string(t) == "*":
	case len(t) > 7 && strings.EqualFold(string(t[:7]), "http://"), len(t) > 8 && strings.EqualFold(string(t[:8]), "https://"):
	default:
		return false
	}
	for _, c := range t {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// clip shortens what an error quotes from a request.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
