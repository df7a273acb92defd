// Package metrics exposes what mugai does to Prometheus and answers the
// health checks of a container runtime, systemd or a load balancer.
//
// A Metrics value holds the collectors on its own registry (no global
// state); the services report to it (Relay for the SMTP relay, Message for
// any other origin), and Handler serves
//
//	/metrics  the Prometheus text format
//	/healthz  200 while the process runs (liveness)
//	/readyz   200 when every Check passes, else 503 with the failing ones
//
// Label values are bounded: outcomes, detected kinds, rule IDs from
// sanitize.RuleTable, SMTP commands and codes. Nothing from the mail (no
// addresses, names or subjects) becomes a label.
package metrics
