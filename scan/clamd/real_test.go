package clamd_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/scan/clamd"
	"github.com/mugai-project/mugai/scan/clamd/clamdtest"
)

// One real clamd serves the tests of this file that do not stop it.
func newReal(t *testing.T, o clamdtest.Options) (*clamdtest.Daemon, *clamd.Client) {
	t.Helper()
	d := clamdtest.Start(t, o)
	c, err := clamd.New(clamd.Config{Address: d.Address(), Timeout: 10 * time.Second, MaxSize: 12 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return d, c
}

func zipOf(t *testing.T, name string, data []byte, method uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRealClamd(t *testing.T) {
	d, c := newReal(t, clamdtest.Options{})
	ctx := t.Context()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v\n%s", err, d.Log())
	}
	v, err := c.Version(ctx)
	if err != nil || !strings.HasPrefix(v.Engine, "ClamAV ") {
		t.Fatalf("version %+v, %v", v, err)
	}
	t.Logf("version %q", v.Raw)

	nested := zipOf(t, "a.zip", zipOf(t, "b.zip", zipOf(t, "c.zip", zipOf(t, "d.zip", zipOf(t, "e.zip", zipOf(t, "f.zip", zipOf(t, "g.txt", clamdtest.EICAR(), zip.Deflate), zip.Deflate), zip.Deflate), zip.Deflate), zip.Deflate), zip.Deflate), zip.Deflate)
	cases := []struct {
		name   string
		data   []byte
		status clamd.Status
		sig    string
	}{
		{"clean", []byte("hello, world\n"), clamd.Clean, ""},
		{"empty", nil, clamd.Clean, ""},
		{"eicar", clamdtest.EICAR(), clamd.Found, clamdtest.EICARName},
		{"marker", []byte("some text " + clamdtest.Marker + " more"), clamd.Found, clamdtest.MarkerName},
		{"zip", zipOf(t, "x.txt", clamdtest.EICAR(), zip.Deflate), clamd.Found, clamdtest.EICARName},
		{"deep", nested, clamd.Incomplete, ""},
		{"clean twice", []byte("again\n"), clamd.Clean, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.ScanStream(ctx, bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil {
				t.Fatalf("scan: %v\n%s", err, d.Log())
			}
			if res.Status != tc.status || (tc.sig != "" && !strings.HasPrefix(res.Signature, tc.sig)) {
				t.Fatalf("got %+v, want %v %s\n%s", res, tc.status, tc.sig, d.Log())
			}
		})
	}
}

// Content over clamd's limits is "not fully scanned": a stream over
// StreamMaxLength (whether our own limit or clamd's catches it), a file or a
// member over MaxFileSize (AlertExceedsMax).
//
// todo: ClamAV 1.4.6 reports a *deflated* zip member over MaxFileSize as
// clean even with AlertExceedsMax (a stored one alerts), and misses EICAR
// at the end of such a member; mugai's own expansion limits and the
// sanitizers are the backstop there (docs/clamd.md). Logged below so that a
// change in clamd shows.
func TestRealLimits(t *testing.T) {
	d := clamdtest.Start(t, clamdtest.Options{StreamMaxLength: "1M", MaxFileSize: "512K", TCP: true})
	for _, addr := range []string{d.Address(), d.TCPAddress()} {
		t.Run(addr[:strings.IndexByte(addr, ':')], func(t *testing.T) { testLimits(t, addr) })
	}
}

func testLimits(t *testing.T, addr string) {
	c, err := clamd.New(clamd.Config{Address: addr, Timeout: 10 * time.Second, MaxSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), (2<<20)/16)
	res, err := c.ScanStream(t.Context(), bytes.NewReader(data), -1)
	if err != nil || res.Status != clamd.Incomplete {
		t.Fatalf("clamd's limit: %+v, %v", res, err)
	}
	res, err = c.ScanStream(t.Context(), bytes.NewReader(data), int64(len(data)+(8<<20)))
	if err != nil || res.Status != clamd.Incomplete {
		t.Fatalf("our limit: %+v, %v", res, err)
	}
	mid := bytes.Repeat([]byte("fedcba9876543210"), (600<<10)/16)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"file", mid}, {"stored member", zipOf(t, "m.bin", mid, zip.Store)}} {
		res, err = c.ScanStream(t.Context(), bytes.NewReader(tc.data), int64(len(tc.data)))
		if err != nil || res.Status != clamd.Incomplete || !strings.HasPrefix(res.Signature, "Heuristics.Limits.Exceeded") {
			t.Errorf("%s over MaxFileSize: %+v, %v", tc.name, res, err)
		}
	}
	z := zipOf(t, "m.bin", append(mid, clamdtest.EICAR()...), zip.Deflate)
	res, err = c.ScanStream(t.Context(), bytes.NewReader(z), int64(len(z)))
	t.Logf("deflated member over MaxFileSize, EICAR at its end: %+v, %v (clamd gap: see the todo above)", res, err)

	// The client still works afterwards.
	res, err = c.ScanStream(t.Context(), strings.NewReader("ok"), 2)
	if err != nil || res.Status != clamd.Clean {
		t.Fatalf("after: %+v, %v", res, err)
	}
}

// Stopped clamd: errors wrapping ErrUnavailable; back: it works again,
// though the pooled sessions died with the old daemon.
func TestRealRestart(t *testing.T) {
	d, c := newReal(t, clamdtest.Options{})
	ctx := t.Context()
	scan := func() (clamd.Result, error) {
		return c.ScanStream(ctx, bytes.NewReader(clamdtest.EICAR()), -1)
	}
	if _, err := scan(); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	if _, err := scan(); !errors.Is(err, clamd.ErrUnavailable) {
		t.Fatalf("stopped: %v", err)
	}
	if err := c.Ping(ctx); !errors.Is(err, clamd.ErrUnavailable) {
		t.Fatalf("ping stopped: %v", err)
	}
	d.Start()
	if res, err := scan(); err != nil || res.Status != clamd.Found {
		t.Fatalf("back: %+v, %v", res, err)
	}
}

// A pooled session that clamd closed for idleness (after its ReadTimeout,
// shortened here) is replaced without the caller noticing. Without the
// retry the second scan fails with a broken pipe.
func TestRealIdleSession(t *testing.T) {
	d := clamdtest.Start(t, clamdtest.Options{Extra: []string{"ReadTimeout 1"}})
	c, err := clamd.New(clamd.Config{Address: d.Address(), Timeout: 5 * time.Second, IdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 2; i++ {
		if i == 1 {
			time.Sleep(2500 * time.Millisecond) // clamd drops the idle session
		}
		res, err := c.ScanStream(t.Context(), bytes.NewReader([]byte("clean text")), 10)
		if err != nil || res.Status != clamd.Clean {
			t.Fatalf("scan %d: %+v, %v\n%s", i, res, err, d.Log())
		}
	}
}
