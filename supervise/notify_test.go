package supervise

import (
	"testing"

	"github.com/tend-init/tend/supervise/notify"
)

// TestNotifyGate: with --notify, readiness needs READY=1 and neither
// STOPPING=1 nor a failed watchdog; without it, the gate is open.
func TestNotifyGate(t *testing.T) {
	sock := &notify.Socket{}
	tests := []struct {
		name      string
		note      notifier
		wantGate  bool
		wantState string
	}{
		{name: "no --notify", note: notifier{}, wantGate: true, wantState: ""},
		{name: "waiting", note: notifier{sock: sock}, wantGate: false, wantState: "waiting"},
		{name: "ready", note: notifier{sock: sock, ready: true}, wantGate: true, wantState: "ready"},
		{name: "ready then stopping", note: notifier{sock: sock, ready: true, stopping: true}, wantGate: false, wantState: "stopping"},
		{name: "ready, watchdog failed", note: notifier{sock: sock, ready: true, unhealthy: true}, wantGate: false, wantState: "ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &supervisor{note: tt.note}
			if got := s.notifyGate(); got != tt.wantGate {
				t.Errorf("notifyGate() = %v; want %v", got, tt.wantGate)
			}
			if got := s.notifyState(); got != tt.wantState {
				t.Errorf("notifyState() = %q; want %q", got, tt.wantState)
			}
		})
	}
}
