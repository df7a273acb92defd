// Package clamd is a client for ClamAV's scanning daemon, clamd.
//
// It speaks the clamd socket protocol (see clamd(8), "COMMANDS") over a unix
// socket or TCP: PING and VERSION for health, and INSTREAM to scan a stream
// sent in length-prefixed chunks, so that clamd needs no access to our files.
// Connections are reused through IDSESSION: a small pool of idle sessions is
// kept, each carrying one command at a time.
//
// Every network step has a deadline (dialing, each chunk written, waiting for
// the verdict), and the caller's context cancels any of them. A stream larger
// than Config.MaxSize is not sent: it is reported as not fully scanned, as
// are clamd's own "INSTREAM size limit exceeded" and, with AlertExceedsMax in
// clamd.conf, its Heuristics.Limits.Exceeded detections. "Not fully scanned"
// is never clean.
//
// Client.Scan adapts the client to sanitize.Scanner; the engine does not
// import this package, cmd/mugai wires it.
package clamd
