// Package termlog writes tend's termination summary: one short line that
// says why tend ended, to the file Kubernetes shows as the container's
// termination message (terminationMessagePath, /dev/termination-log by
// default).
//
// It owns the file's rules: the summary is written once, to an empty file
// only, so that a message the application wrote itself is never replaced;
// the file is never truncated or appended to; and the summary is cut to
// [Max] bytes, the kubelet's limit for one container. The caller (package
// supervise) says what the summary is; termlog never logs.
package termlog
