package smtpd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// BenchmarkRelay5K sends 5 KB mails through the whole relay (go-smtp
// client → mugai with a local quarantine → go-smtp sink) on one reused
// connection: the per-message cost of keeping, sanitizing and relaying.
func BenchmarkRelay5K(b *testing.B) {
	sk := smtpdtest.StartSink(b, "")
	_ = sk
	t := &testing.T{}
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}}, nil)
	msg := benchMessage(5000)
	c, err := smtp.Dial(r.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.Hello("mx.example.lg.jp")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.SendMail("a@example.com", []string{"b@example.lg.jp"}, strings.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	os.RemoveAll(r.dir)
}

// benchMessage is a Japanese multipart/alternative mail of about size bytes.
func benchMessage(size int) string {
	var body strings.Builder
	for body.Len() < size/2 {
		body.WriteString("お世話になっております。見積書の送付の件でご連絡いたします。\r\n")
	}
	return "From: sender@example.com\r\nTo: b@example.lg.jp\r\nSubject: =?UTF-8?B?6KaL56mN5pu4?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body.String() +
		"--A\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>" + body.String() + "</p>\r\n--A--\r\n"
}
