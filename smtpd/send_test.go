package smtpd_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// failingReader yields some of a message, then a read error.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("disk read error")
	}
	return n, err
}

// TestSendAbandonsOnReadError checks that a message whose reading fails
// midway is never completed with the final dot: the next hop records
// nothing. The same hopConn.data carries relayed mail.
func TestSendAbandonsOnReadError(t *testing.T) {
	s := smtpdtest.StartSink(t, "")
	cfg := smtpd.Config{NextHops: []string{s.Addr}, NextHopTLS: "none", NextHopTimeout: 5 * time.Second}
	msg := "Subject: half\r\n\r\n" + strings.Repeat("line of a message that is cut off\r\n", 2000)
	_, err := smtpd.Send(cfg, nil, "a@example.com", []string{"b@example.lg.jp"}, &failingReader{strings.NewReader(msg)})
	if err == nil {
		t.Fatal("Send with a failing reader succeeded")
	}
	time.Sleep(100 * time.Millisecond)
	if got := s.Received(); len(got) != 0 {
		t.Fatalf("the next hop recorded %d truncated message(s)", len(got))
	}

	resp, err := smtpd.Send(cfg, nil, "a@example.com", []string{"b@example.lg.jp"}, strings.NewReader(msg))
	if err != nil || !strings.Contains(resp, s.Addr) {
		t.Fatalf("Send: %q, %v", resp, err)
	}
	if got := s.Received(); len(got) != 1 || len(got[0].Data) != len(msg) {
		t.Fatalf("next hop got %d messages", len(got))
	}
	s.RefuseRcpt("c@example.lg.jp")
	if _, err := smtpd.Send(cfg, nil, "a@example.com", []string{"b@example.lg.jp", "c@example.lg.jp"}, strings.NewReader(msg)); err == nil || !strings.Contains(err.Error(), "c@example.lg.jp") {
		t.Fatalf("Send to a refused recipient: %v", err)
	}
	if got := s.Received(); len(got) != 1 {
		t.Fatalf("a message with a refused recipient was delivered")
	}
}
