// Package smtpd is the SMTP relay between the Internet-side MTA and the
// LGWAN-side mail server (go-smtp on both sides).
//
// It mirrors the next hop in real time, the design Postfix's
// smtpd_proxy_filter expects: the downstream transaction opens at MAIL FROM,
// each RCPT is passed through and the next hop's answer returned, DATA is
// spooled (its size limit enforced while it streams), the original is stored
// durably in the quarantine, the mail sanitizer runs, the cleared message is
// sent, and the next hop's answer decides the reply. So 250 means the
// original is kept and the next hop accepted the cleared message; anything
// that goes wrong after DATA gives 4xx and the upstream MTA retries. With no
// next hop configured, cleared mail goes durably into a Maildir.
//
// A message the engine blocks as a whole is not dropped: the recipients get
// a notice saying why, with the quarantine ID.
//
// Replies carry no file names, rules or configuration, and end in a trace
// ID that also appears on every log line of the session.
package smtpd
