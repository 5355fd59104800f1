package main

import "testing"

func TestQueueSignals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want bool
	}{
		{"plain", []string{"tend", "--", "app"}, nil, false},
		{"no option", []string{"tend", "app", "--queue-signals"}, nil, false},
		{"flag", []string{"tend", "--queue-signals", "app"}, nil, true},
		{"single dash", []string{"tend", "-queue-signals", "app"}, nil, true},
		{"flag after options", []string{"tend", "--grace", "5s", "-v", "--queue-signals", "--", "app"}, nil, true},
		{"flag false", []string{"tend", "--queue-signals=false", "app"}, []string{"TEND_QUEUE_SIGNALS=1"}, false},
		{"flag true", []string{"tend", "--queue-signals=true", "app"}, nil, true},
		{"variable", []string{"tend", "app"}, []string{"TEND_QUEUE_SIGNALS=true"}, true},
		{"variable off", []string{"tend", "app"}, []string{"TEND_QUEUE_SIGNALS=0"}, false},
		{"bad variable", []string{"tend", "app"}, []string{"TEND_QUEUE_SIGNALS=maybe"}, false},
		{"a value that looks like it", []string{"tend", "--user", "--queue-signals", "app"}, nil, false},
		{"after the command", []string{"tend", "--grace=1s", "app", "--queue-signals"}, nil, false},
		{"after --", []string{"tend", "-v", "--", "--queue-signals"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := queueSignals(tt.args, tt.env); got != tt.want {
				t.Errorf("queueSignals(%q, %q) = %v; want %v", tt.args, tt.env, got, tt.want)
			}
		})
	}
}
