package main

import (
	"bytes"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/policy"
)

func TestServiceLoggerZone(t *testing.T) {
	for _, tc := range []struct {
		zone, format, want string
	}{
		{"Asia/Tokyo", "json", `"time":"[^"]+\+09:00"`},
		{"UTC", "json", `"time":"[^"]+Z"`},
		{"Asia/Tokyo", "text", `time=\S+\+09:00 level=INFO msg=hello`},
	} {
		var out bytes.Buffer
		lc := policy.Default().Log
		lc.Timezone, lc.Format = tc.zone, tc.format
		log, closer, err := serviceLogger(lc, &out, nil)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hello", "trace", "abc")
		closer()
		if !regexp.MustCompile(tc.want).MatchString(out.String()) {
			t.Errorf("%s %s: %q does not match %s", tc.zone, tc.format, out.String(), tc.want)
		}
	}
}

// TestServiceLoggerSyslog sends the log to a syslog server (here a UDP
// socket): each record is the JSON line, at the severity of its level, with
// the facility and the tag of the policy.
func TestServiceLoggerSyslog(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	lc := policy.Default().Log
	lc.Output, lc.SyslogAddress, lc.SyslogFacility = "syslog", "udp:"+pc.LocalAddr().String(), "local3"
	log, closer, err := serviceLogger(lc, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	log.Warn("next hop failed", "trace", "abc")
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	// local3 (19) * 8 + warning (4) = 156.
	if !strings.HasPrefix(got, "<156>") || !strings.Contains(got, " mugai[") ||
		!strings.Contains(got, `"level":"WARN","msg":"next hop failed","trace":"abc"`) {
		t.Errorf("syslog message: %q", got)
	}
}
