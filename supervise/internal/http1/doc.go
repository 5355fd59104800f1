// Package http1 owns the HTTP/1.x wire format that tend speaks without
// net/http (which would double the binary): the status line a probe reads
// (ParseStatusLine, ReadStatusCode), the request head the status server
// reads (ReadRequestHead, with its token and request-target checks), and
// the response the status server writes (Response, StatusText). It is
// strict: what it accepts, net/http accepts too (see the fuzz tests).
package http1
