// Package smtpdtest holds the SMTP client side that the relay's tests and
// the tests that drive mugai through SMTP (cmd/mugai, scan/clamd) share.
// Only tests import it.
package smtpdtest

import (
	"errors"
	"io"

	"github.com/emersion/go-smtp"
)

// Send runs one SMTP transaction (EHLO, MAIL, RCPT for each of to, DATA,
// QUIT) with the go-smtp client and returns the error of the first step
// that fails: an *smtp.SMTPError for a reply, which Code reads.
func Send(addr, from string, to []string, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.lg.jp"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Code is the SMTP reply code of an error from Send: 250 for nil, -1 for
// an error that is not a reply (the connection failed).
func Code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	if err == nil {
		return 250
	}
	return -1
}
