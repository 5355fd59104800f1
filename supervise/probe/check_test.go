package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(200)
		case "/moved":
			w.WriteHeader(301)
		default:
			w.WriteHeader(503)
		}
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	url := func(path string) *URL {
		u, err := ParseURL("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		return &u
	}
	tests := []struct {
		name     string
		h        Target
		wantErr  bool
		wantCode int // a *StatusError with this code, when not 0
	}{
		{name: "http 200", h: Target{HTTP: url("/ok")}},
		{name: "http 301", h: Target{HTTP: url("/moved")}},
		{name: "http 503", h: Target{HTTP: url("/down")}, wantErr: true, wantCode: 503},
		{name: "tcp", h: Target{TCP: addr}},
		{name: "tcp refused", h: Target{TCP: refused}, wantErr: true},
		{name: "no target", h: Target{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.h.Timeout = 2 * time.Second
			err := Probe(context.Background(), tt.h)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Probe(%+v) = %v; want error %v", tt.h, err, tt.wantErr)
			}
			var se *StatusError
			switch {
			case tt.wantCode != 0 && (!errors.As(err, &se) || se.Code != tt.wantCode):
				t.Errorf("Probe(%+v) = %v; want a *StatusError with code %d", tt.h, err, tt.wantCode)
			case tt.wantCode != 0 && err.Error() != "status 503":
				t.Errorf("Probe(%+v) = %q; want \"status 503\", as the loop logs it", tt.h, err)
			case tt.wantCode == 0 && errors.As(err, &se):
				t.Errorf("Probe(%+v) = %v; want no *StatusError", tt.h, err)
			}
		})
	}
}
