package supervise

import "golang.org/x/sys/unix"

// Draining before a stop (--stop-delay): when Kubernetes deletes a pod it
// sends SIGTERM at the same moment as it starts taking the pod out of the
// Service's endpoints, and the load balancers, kube-proxy and ingress
// controllers learn of it only later (dumb-init#281). An app that stops at
// once turns away the requests still routed to it. With a stop delay the
// first SIGTERM the child receives is held back: tend stops being ready
// (/readyz answers 503) at once, the child keeps serving for the delay, and
// only then gets the SIGTERM (after --rewrite) and SIGCONT, as in any
// stop. The grace period starts with the SIGTERM tend received, so the
// delay counts against --grace, which Validate keeps above the delay.
//
// What wins during the delay:
//   - a second SIGTERM, or a SIGINT (an operator's Ctrl-C), ends it: the
//     signal is forwarded at once (after --rewrite), with SIGCONT;
//   - the child's exit ends it: no restart follows, tend exits with the
//     child's status;
//   - --deadline ends it: the child gets --stop-signal at once, exit 124;
//   - any other signal is forwarded as usual, and an unhealthy probe
//     changes nothing: the stop is already coming.
//
// Only a SIGTERM that tend receives while the child runs is delayed: not
// one during a restart backoff (no child to drain: tend exits at once),
// not a SIGTERM that --rewrite makes of another signal (INT:TERM keeps
// Ctrl-C immediate), not --pause, and not the stops tend decides itself
// (deadline, unhealthy), which have nothing to drain from.

// drain begins the stop delay for sig, the SIGTERM tend received while the
// child runs: no forward yet, no restart after this run, the grace period
// from now, and the drain timer for the delay.
func (m machine) drain(sig unix.Signal, p policy) (machine, []action) {
	m.final, m.state, m.stopSig = true, stateDraining, sig
	return m, []action{{kind: actArmGrace}, {kind: actDrain, sig: sig, delay: p.stopDelay}}
}

// drainSignal handles a signal tend received during the stop delay: sig
// as received, to after --rewrite (not dropped); end says whether it is a
// SIGTERM or a SIGINT, before or after --rewrite. Those forward at once
// and end the delay; any other signal is only forwarded.
func (m machine) drainSignal(sig, to unix.Signal, end bool) (machine, []action) {
	if !end {
		return m, []action{{kind: actForward, sig: to}}
	}
	m.state = stateStopping
	return m, []action{{kind: actCancelDrain}, {kind: actLogStopping, sig: sig, reason: stopInDrain}, {kind: actStop, sig: to}}
}

// drainOver ends the stop delay: the SIGTERM tend received goes to the
// child now, after --rewrite, with SIGCONT, as without a delay; the grace
// period runs since that SIGTERM came.
func (m machine) drainOver(p policy) (machine, []action) {
	if m.state != stateDraining {
		return m, nil
	}
	m.state = stateStopping
	to, ok := p.rewrite.Apply(unix.SIGTERM)
	if !ok { // a dropped SIGTERM begins no drain; kept total all the same
		return m, nil
	}
	return m, []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopDrained}, {kind: actStop, sig: to}}
}
