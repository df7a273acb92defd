package clamd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a scripted clamd on TCP: it reads one command (z or n form) and
// lets the test answer.
type fake struct {
	ln      net.Listener
	mu      sync.Mutex
	conns   int
	handler func(c net.Conn, br *bufio.Reader)
}

func startFake(t *testing.T, h func(c net.Conn, br *bufio.Reader)) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{ln: ln, handler: h}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); f.handler(c, bufio.NewReader(c)) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return f
}

func (f *fake) nconns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

func (f *fake) addr() string { return "tcp:" + f.ln.Addr().String() }

func readCmd(br *bufio.Reader) (string, error) {
	s, err := br.ReadString(0)
	return strings.TrimSuffix(strings.TrimPrefix(s, "z"), "\x00"), err
}

// readStream reads INSTREAM chunks to the terminator.
func readStream(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		var n uint32
		if err := binary.Read(br, binary.BigEndian, &n); err != nil {
			return out, err
		}
		if n == 0 {
			return out, nil
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return out, err
		}
		out = append(out, b...)
	}
}

// session answers IDSESSION commands with verdict(content).
func sessionFake(verdict func([]byte) string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		cmd, err := readCmd(br)
		if err != nil || cmd != "IDSESSION" {
			if cmd == "PING" {
				c.Write([]byte("PONG\x00"))
			}
			if cmd == "VERSION" {
				c.Write([]byte("ClamAV 1.4.6/27830/Sat Nov 21 09:20:00 2026\x00"))
			}
			return
		}
		for id := 1; ; id++ {
			cmd, err := readCmd(br)
			if err != nil || cmd == "END" {
				return
			}
			data, err := readStream(br)
			if err != nil {
				return
			}
			c.Write([]byte(strconv.Itoa(id) + ": " + verdict(data) + "\x00"))
		}
	}
}

func TestParseReply(t *testing.T) {
	cases := []struct {
		in     string
		status Status
		sig    string
		err    bool
	}{
		{"stream: OK", Clean, "", false},
		{"stream: Win.Test.EICAR_HDB-1 FOUND", Found, "Win.Test.EICAR_HDB-1", false},
		{"stream: Eicar-Signature(44d88612fea8a8f36de82e1278abb02f:68) FOUND", Found, "Eicar-Signature", false},
		{"stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND", Incomplete, "Heuristics.Limits.Exceeded.MaxFileSize", false},
		{"stream: Heuristics.Limits.Exceeded FOUND", Incomplete, "Heuristics.Limits.Exceeded", false},
		{"INSTREAM size limit exceeded. ERROR", Incomplete, "", false},
		{"stream: Can't allocate memory ERROR", 0, "", true},
		{"UNKNOWN COMMAND", 0, "", true},
		{"stream:  FOUND", 0, "", true},
		{"", 0, "", true},
	}
	for _, tc := range cases {
		res, err := ParseReply(tc.in)
		if (err != nil) != tc.err || (!tc.err && (res.Status != tc.status || res.Signature != tc.sig)) {
			t.Errorf("%q: %+v, %v", tc.in, res, err)
		}
		if err != nil && !errors.Is(err, ErrUnavailable) {
			t.Errorf("%q: error %v does not wrap ErrUnavailable", tc.in, err)
		}
	}
}

func TestParseVersion(t *testing.T) {
	v, err := ParseVersion("ClamAV 1.4.6/27830/Sat Nov  1 09:20:00 2026")
	if err != nil || v.Engine != "ClamAV 1.4.6" || v.Signatures != 27830 || v.SignatureDate != time.Date(2026, 11, 1, 9, 20, 0, 0, time.UTC) {
		t.Fatalf("%+v, %v", v, err)
	}
	if v, err := ParseVersion("ClamAV 1.4.6"); err != nil || v.Signatures != 0 || !v.SignatureDate.IsZero() {
		t.Fatalf("no database: %+v, %v", v, err)
	}
	for _, bad := range []string{"", "PONG", "ClamAV 1.0/x/y", "ClamAV 1.0/1/not a date"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"unix:/run/clamav/clamd.ctl": "unix /run/clamav/clamd.ctl",
		"/run/clamav/clamd.ctl":      "unix /run/clamav/clamd.ctl",
		"tcp:127.0.0.1:3310":         "tcp 127.0.0.1:3310",
		"clamav.example.lg.jp:3310":  "tcp clamav.example.lg.jp:3310",
		"[::1]:3310":                 "tcp [::1]:3310",
	} {
		n, a, err := ParseAddress(in)
		if err != nil || n+" "+a != want {
			t.Errorf("%q: %s %s %v", in, n, a, err)
		}
	}
	for _, bad := range []string{"", "unix:", "clamd", "tcp:host", ":3310"} {
		if _, _, err := ParseAddress(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Sessions are reused; the content arrives whole in chunks.
func TestSessionReuse(t *testing.T) {
	var got [][]byte
	var mu sync.Mutex
	f := startFake(t, sessionFake(func(b []byte) string {
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		if bytes.Contains(b, []byte("BAD")) {
			return "stream: Test.Bad FOUND"
		}
		return "stream: OK"
	}))
	c, err := New(Config{Address: f.addr(), ChunkSize: 1000, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := bytes.Repeat([]byte("x"), 5555)
	for i := 0; i < 3; i++ {
		res, err := c.ScanStream(t.Context(), bytes.NewReader(big), int64(len(big)))
		if err != nil || res.Status != Clean {
			t.Fatalf("scan %d: %+v, %v", i, res, err)
		}
	}
	if n := f.nconns(); n != 1 {
		t.Errorf("%d connections for 3 clean scans, want 1", n)
	}
	res, err := c.Scan(t.Context(), strings.NewReader("a BAD one"), 9)
	if err != nil || res.Signature != "Test.Bad" || !strings.HasPrefix(res.Engine, "ClamAV 1.4.6/27830") {
		t.Fatalf("bad: %+v, %v", res, err)
	}
	if len(got) != 4 || !bytes.Equal(got[0], big) {
		t.Errorf("clamd got %d streams", len(got))
	}
	if err := c.Ping(t.Context()); err != nil {
		t.Error(err)
	}
}

// A stalled clamd (accepts, never answers) times out at every step.
func TestStall(t *testing.T) {
	f := startFake(t, func(c net.Conn, br *bufio.Reader) { io.Copy(io.Discard, br) })
	c, err := New(Config{Address: f.addr(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.ScanStream(t.Context(), strings.NewReader("hello"), 5)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("scan: %v", err)
	}
	if err := c.Ping(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ping: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// A clamd that stops reading (full socket buffers) times out on the write.
func TestStallReading(t *testing.T) {
	done := make(chan struct{})
	f := startFake(t, func(c net.Conn, br *bufio.Reader) { <-done })
	t.Cleanup(func() { close(done) })
	c, err := New(Config{Address: f.addr(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := make([]byte, 32<<20)
	_, err = c.ScanStream(t.Context(), bytes.NewReader(big), -1)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("scan: %v", err)
	}
}

// Error replies, wrong session ids and early closes are errors, never clean.
func TestBadAnswers(t *testing.T) {
	for name, h := range map[string]func(net.Conn, *bufio.Reader){
		"error": sessionFake(func([]byte) string { return "stream: Can't allocate memory ERROR" }),
		"wrong id": func(c net.Conn, br *bufio.Reader) {
			readCmd(br)
			readCmd(br)
			readStream(br)
			c.Write([]byte("7: stream: OK\x00"))
		},
		"close": func(c net.Conn, br *bufio.Reader) { readCmd(br) },
		"long": func(c net.Conn, br *bufio.Reader) {
			readCmd(br)
			readCmd(br)
			readStream(br)
			c.Write(bytes.Repeat([]byte("A"), 10000))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := startFake(t, h)
			c, _ := New(Config{Address: f.addr(), Timeout: time.Second})
			defer c.Close()
			res, err := c.ScanStream(t.Context(), strings.NewReader("x"), 1)
			if err == nil || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("%+v, %v", res, err)
			}
		})
	}
}

// A pooled session that clamd closed meanwhile is replaced transparently.
func TestStaleSession(t *testing.T) {
	var n int
	var mu sync.Mutex
	f := startFake(t, func(c net.Conn, br *bufio.Reader) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			readCmd(br)
			readCmd(br)
			readStream(br)
			c.Write([]byte("1: stream: OK\x00"))
			return // close: the session goes stale in the pool
		}
		sessionFake(func([]byte) string { return "stream: OK" })(c, br)
	})
	c, _ := New(Config{Address: f.addr(), Timeout: time.Second})
	defer c.Close()
	for i := 0; i < 2; i++ {
		if res, err := c.ScanStream(t.Context(), strings.NewReader("x"), 1); err != nil || res.Status != Clean {
			t.Fatalf("scan %d: %+v, %v", i, res, err)
		}
	}
}

func TestMaxSize(t *testing.T) {
	f := startFake(t, sessionFake(func([]byte) string { return "stream: OK" }))
	c, _ := New(Config{Address: f.addr(), MaxSize: 10})
	defer c.Close()
	if res, err := c.ScanStream(t.Context(), strings.NewReader("0123456789A"), 11); err != nil || res.Status != Incomplete {
		t.Fatalf("declared size: %+v, %v", res, err)
	}
	if res, err := c.ScanStream(t.Context(), strings.NewReader("0123456789A"), -1); err != nil || res.Status != Incomplete {
		t.Fatalf("actual size: %+v, %v", res, err)
	}
	if n := f.nconns(); n > 1 {
		t.Errorf("%d connections", n)
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"stream: OK", "stream: X FOUND", "stream: Eicar(44d8:68) FOUND", "INSTREAM size limit exceeded. ERROR", "1: stream: OK", "ClamAV 1.4.6/27830/Sat Nov 21 09:20:00 2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		res, err := ParseReply(s)
		if err == nil && res.Status == Clean && strings.TrimSpace(s) != "stream: OK" {
			t.Fatalf("%q parsed as clean", s)
		}
		if err == nil && res.Status == Found && res.Signature == "" {
			t.Fatalf("%q: found without a name", s)
		}
		ParseVersion(s)
		(&session{sess: true, id: 1}).strip(s)
	})
}
