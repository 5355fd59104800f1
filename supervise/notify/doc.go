// Package notify owns the systemd notify protocol (sd_notify(3)) on both
// of tend's sides: the socket tend's child reports to with --notify
// ([Listen]: a unix datagram socket in a private directory, with the
// senders' credentials), the parsing of what it sends ([Parse]), and the
// client for the socket tend itself was given in NOTIFY_SOCKET
// ([Upstream]: podman run --sdnotify=container, a systemd unit).
//
// It decides nothing about readiness or health and never logs: the event
// loop in package supervise reads [Datagram]s from [Socket.C], checks the
// sender, and acts. The reader goroutine of [Listen] only reads, parses
// and sends.
package notify
