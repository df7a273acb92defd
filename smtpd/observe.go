package smtpd

import (
	"errors"
	"io"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/sanitize"
)

// Observer is told what the relay does, for metrics. Its methods are called
// from the sessions' goroutines: they must be safe for concurrent use, must
// not block, and must not keep rep beyond the call.
type Observer interface {
	// Session is called for each accepted connection.
	Session()
	// Reply is called for each reply to the upstream MTA that the relay
	// decides: cmd is "CONNECT" (a refused connection), "MAIL", "RCPT" or
	// "DATA"; code the SMTP code (250, 451, 550, …).
	Reply(cmd string, code int)
	// Message is called once the engine has run on a message: rep is its
	// report (nil when err is non-nil), d the time the engine took.
	Message(rep *sanitize.Report, err error, d time.Duration)
	// NextHopError is called when the next hop fails or refuses: step is
	// "connect", "MAIL", "RCPT", "DATA" or "maildir"; code is the next
	// hop's SMTP code, 0 when it did not answer.
	NextHopError(step string, code int)
}

// nopObserver is used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) Session()                                       {}
func (nopObserver) Reply(string, int)                              {}
func (nopObserver) Message(*sanitize.Report, error, time.Duration) {}
func (nopObserver) NextHopError(string, int)                       {}

// observedSession reports the replies of a session to the Observer.
type observedSession struct{ *session }

var _ smtp.Session = observedSession{}

func (o observedSession) Mail(from string, opts *smtp.MailOptions) error {
	err := o.session.Mail(from, opts)
	o.s.obs.Reply("MAIL", replyCode(err))
	return err
}

func (o observedSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	err := o.session.Rcpt(to, opts)
	o.s.obs.Reply("RCPT", replyCode(err))
	return err
}

func (o observedSession) Data(r io.Reader) error {
	err := o.session.Data(r)
	o.s.obs.Reply("DATA", replyCode(err))
	return err
}

// replyCode is the code go-smtp sends for a Session method's result.
func replyCode(err error) int {
	var se *smtp.SMTPError
	switch {
	case err == nil:
		return 250
	case errors.As(err, &se):
		return se.Code
	}
	return 451
}

// hopCode is the next hop's SMTP code in err, 0 if it did not answer.
func hopCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// engine returns the engine in use; SetEngine replaces it.
func (s *Server) engine() *sanitize.Engine { return s.eng.Load() }

// SetEngine replaces the engine for the messages that reach DATA from now
// on (a configuration reload); messages in progress finish with the engine
// they started with. eng must not be nil.
func (s *Server) SetEngine(eng *sanitize.Engine) {
	if eng != nil {
		s.eng.Store(eng)
	}
}
