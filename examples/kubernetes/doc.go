// Package kubernetes holds example Kubernetes manifests for workloads that run
// under tend, and a test that decodes each one strictly into the Kubernetes API
// types and checks that it lines up with tend's settings (grace periods,
// deadlines, restarts, probes). It is a module of its own so that tend's
// module keeps its two dependencies.
package kubernetes
