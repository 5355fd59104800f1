// Package metricstest checks tend's `GET /metrics` output with Prometheus'
// own parser (github.com/prometheus/common/expfmt). It is a module of its
// own, like bench/ and tools/, so that the binary keeps its two
// dependencies; it holds only tests.
package metricstest
