package smtpd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/smtpd"
	"github.com/mugai-project/mugai/smtpd/smtpdtest"
)

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gw.example.lg.jp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"gw.example.lg.jp"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// The upstream MTA can STARTTLS with the configured certificate, and the
// message is relayed as usual.
func TestStartTLSUpstream(t *testing.T) {
	cert, pool := selfSigned(t)
	sk := smtpdtest.StartSink(t, "")
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, nil)
	c, err := smtp.DialStartTLS(r.addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.com", []string{"b@example.lg.jp"}, strings.NewReader(htmlMail)); err != nil {
		t.Fatal(err)
	}
	if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete {
		t.Fatal("no TLS")
	}
	if n := len(sk.Received()); n != 1 {
		t.Errorf("sink got %d", n)
	}
}

// With next_hop_tls = "required", a next hop without STARTTLS gets nothing:
// the upstream is told to retry.
func TestNextHopTLSRequired(t *testing.T) {
	sk := smtpdtest.StartSink(t, "") // offers no STARTTLS
	r := startRelay(t, smtpd.Config{NextHops: []string{sk.Addr}, NextHopTLS: "required"}, nil)
	err := smtpdtest.Send(r.addr, "a@example.com", []string{"b@example.lg.jp"}, htmlMail)
	wantCode(t, err, 451, smtp.EnhancedCode{4, 4, 1})
	if n := len(sk.Received()); n != 0 {
		t.Errorf("sink got %d messages without TLS", n)
	}
}
