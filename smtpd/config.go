package smtpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Config configures the relay. The zero value of each field is its
// documented default; Defaults fills them in.
type Config struct {
	// Hostname in the greeting and in Received lines. Default: the
	// machine's host name.
	Hostname string
	// Networks the upstream MTA may connect from. Default: loopback only.
	// Others get "554 5.7.1" at connect and are disconnected.
	Networks []netip.Prefix
	// Domains accepted as recipients (and their subdomains). Empty accepts
	// any recipient; that is only allowed when Networks is loopback-only,
	// so the relay is never open.
	Domains []string
	// NextHops are tried in order ("host:port"). Empty: deliver into the
	// Maildir Outbox.
	NextHops []string
	// NextHopTLS: "opportunistic" (default, STARTTLS when offered),
	// "required" (no TLS, no delivery: 451) or "none".
	NextHopTLS string
	// NextHopTLSConfig verifies the next hop's certificate; nil uses the
	// system roots with NextHop's host name.
	NextHopTLSConfig *tls.Config
	// Outbox is the Maildir that cleared mail goes to when there is no next
	// hop. Default "./var/outbox".
	Outbox string
	// TLS enables STARTTLS towards the upstream MTA.
	TLS *tls.Config

	MaxMessageBytes int64 // default 50 MiB; enforced while DATA streams in (552 5.3.4)
	MaxRecipients   int   // default 1000
	MaxLineLength   int   // default 2000 (RFC 5321 allows 1000; some MTAs exceed it)
	MaxSessions     int   // concurrent connections; over it: 421 at connect. Default 64
	MaxSanitizing   int   // concurrent messages in the engine; over it: 451 at once. Default 32
	MaxReceived     int   // Received lines before a loop is assumed (554 5.4.6). Default 30
	// MaxSanitizingBytes caps the total size of the messages in the engine
	// at once; a message waits in line for room (451 4.3.2 after
	// NextHopTimeout) and one larger than the cap runs alone. It keeps
	// memory flat when large messages arrive together. Default 16 MiB.
	MaxSanitizingBytes int64

	ReadTimeout    time.Duration // per command / data line. Default 5m (RFC 5321 4.5.3.2)
	WriteTimeout   time.Duration // default 1m
	SessionTimeout time.Duration // whole connection. Default 30m
	NextHopTimeout time.Duration // each next-hop step. Default 2m
	// StoreTimeout bounds the wait for the quarantine to keep the
	// original: past it the message gets 451 4.3.0 (the upstream MTA
	// retries) and nothing crosses. Keep it well below the upstream's own
	// wait for the reply to DATA (Postfix's smtpd_proxy_timeout, 100s by
	// default, before proxy filters). Default 60s.
	StoreTimeout time.Duration

	// RatePerClient and RatePerSender limit messages per minute (with a
	// burst of the same size); 0 means no limit.
	RatePerClient int
	RatePerSender int

	// Observer, when set, is told about sessions, replies, messages and
	// next-hop failures (metrics).
	Observer Observer

	// HoldFile: while it exists, every new message gets 451 (incident hold).
	// Default "./var/hold".
	HoldFile string
}

// Defaults returns c with zero fields set.
func (c Config) Defaults() Config {
	if len(c.Networks) == 0 {
		c.Networks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if c.NextHopTLS == "" {
		c.NextHopTLS = "opportunistic"
	}
	if c.Outbox == "" {
		c.Outbox = "./var/outbox"
	}
	if c.HoldFile == "" {
		c.HoldFile = "./var/hold"
	}
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 50 << 20
	}
	def(&c.MaxRecipients, 1000)
	def(&c.MaxLineLength, 2000)
	def(&c.MaxSessions, 64)
	def(&c.MaxSanitizing, 32)
	def(&c.MaxReceived, 30)
	if c.MaxSanitizingBytes <= 0 {
		c.MaxSanitizingBytes = 16 << 20
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	dur(&c.ReadTimeout, 5*time.Minute)
	dur(&c.WriteTimeout, time.Minute)
	dur(&c.SessionTimeout, 30*time.Minute)
	dur(&c.NextHopTimeout, 2*time.Minute)
	dur(&c.StoreTimeout, time.Minute)
	return c
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Domains) == 0 {
		for _, n := range c.Networks {
			if !n.Addr().IsLoopback() {
				errs = append(errs, fmt.Errorf("smtpd: networks include %s but no recipient domains are set: that would be an open relay", n))
				break
			}
		}
	}
	switch c.NextHopTLS {
	case "", "opportunistic", "required", "none":
	default:
		errs = append(errs, fmt.Errorf("smtpd: next-hop TLS %q: want opportunistic, required or none", c.NextHopTLS))
	}
	for _, h := range c.NextHops {
		if !strings.Contains(h, ":") {
			errs = append(errs, fmt.Errorf("smtpd: next hop %q: want host:port", h))
		}
	}
	return errors.Join(errs...)
}
