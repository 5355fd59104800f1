// Package metricstest checks tend's `GET /metrics` output with Prometheus'
// own parser (github.com/prometheus/common/expfmt). It is a module of its
// own, like bench/ and tools/, so that the binary keeps its two
// dependencies; it holds only tests. TestScriptedRun runs the tend binary
// (TEND_TEST_BIN, or one it builds from the parent module) over a scripted
// child and checks every metric it serves.
package metricstest
