package notify

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{name: "ready", in: "READY=1", want: Message{Ready: true}},
		{name: "ready with newline", in: "READY=1\n", want: Message{Ready: true}},
		{name: "ready 0 is not ready", in: "READY=0", want: Message{Ignored: []string{"READY"}}},
		{name: "status", in: "STATUS=loading cache", want: Message{HasStatus: true, Status: "loading cache"}},
		{name: "status with =", in: "STATUS=a=b", want: Message{HasStatus: true, Status: "a=b"}},
		{name: "empty status clears", in: "STATUS=", want: Message{HasStatus: true}},
		{name: "several", in: "READY=1\nSTATUS=serving\nMAINPID=42", want: Message{Ready: true, HasStatus: true, Status: "serving", MainPID: "42"}},
		{name: "stopping", in: "STOPPING=1", want: Message{Stopping: true}},
		{name: "watchdog", in: "WATCHDOG=1", want: Message{Watchdog: true}},
		{name: "watchdog trigger", in: "WATCHDOG=trigger", want: Message{Trigger: true}},
		{name: "watchdog other", in: "WATCHDOG=2", want: Message{Ignored: []string{"WATCHDOG"}}},
		{name: "last status wins", in: "STATUS=a\nSTATUS=b", want: Message{HasStatus: true, Status: "b"}},
		{name: "unknown keys", in: "RELOADING=1\nERRNO=2\nFDSTORE=1", want: Message{Ignored: []string{"RELOADING", "ERRNO", "FDSTORE"}}},
		{name: "no equals and blank lines", in: "\n\nREADY\n=1\nREADY=1\n\n", want: Message{Ready: true}},
		{name: "empty", in: "", want: Message{}},
		{name: "crlf is part of the value", in: "READY=1\r\n", want: Message{Ignored: []string{"READY"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseStatusBounded(t *testing.T) {
	long := strings.Repeat("é", maxStatus) // 2 bytes each
	got := Parse([]byte("STATUS=" + long)).Status
	if len(got) > maxStatus || !strings.HasPrefix(long, got) || len(got) < maxStatus-1 {
		t.Errorf("Parse(STATUS=<%d bytes>).Status has %d bytes; want a prefix of at most %d bytes, on a rune boundary", len(long), len(got), maxStatus)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"READY=1", "STATUS=x\nREADY=1", "WATCHDOG=trigger", "\n=\n", "MAINPID=1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Parse(b)
		if len(m.Status) > maxStatus {
			t.Errorf("Parse(%q).Status has %d bytes, above %d", b, len(m.Status), maxStatus)
		}
		if m.Ready && !strings.Contains(string(b), "READY=1") {
			t.Errorf("Parse(%q) is ready without READY=1", b)
		}
	})
}
