package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-smtp"
)

// cmdSend submits a message file to an SMTP server, to try the relay
// without another tool: mugai send --to ADDR FILE.
func (a *app) cmdSend(args []string) int {
	fs := a.flags("send", "usage.send")
	server := fs.String("server", "127.0.0.1:2525", a.t("flag.server"))
	from := fs.String("from", "sender@example.com", a.t("flag.send_from"))
	var to []string
	fs.Func("to", a.t("flag.send_to"), func(v string) error { to = append(to, v); return nil })
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 || len(to) == 0 {
		fs.Usage()
		return exitUsage
	}
	var msg []byte
	if pos[0] == "-" {
		msg, err = io.ReadAll(io.LimitReader(a.stdin, 100<<20))
	} else {
		msg, err = os.ReadFile(pos[0])
	}
	if err != nil {
		a.errorf("%s", a.t("err.open", pos[0], err))
		return exitUsage
	}
	// SMTP wants CRLF line ends; files written on Unix have LF.
	msg = bytes.ReplaceAll(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	c, err := smtp.Dial(*server)
	if err != nil {
		a.errorf("%s", a.t("err.send", *server, err))
		return exitInternal
	}
	defer c.Close()
	if err := c.SendMail(*from, to, bytes.NewReader(msg)); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			a.errorf("%s", a.t("send.refused", fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)))
			return exitBlocked
		}
		a.errorf("%s", a.t("err.send", *server, err))
		return exitInternal
	}
	c.Quit()
	fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("send.ok", *server))
	return exitOK
}
