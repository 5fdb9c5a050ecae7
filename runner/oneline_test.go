package runner

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// TestNetworkErrorsAreOneLine: an error from talking to the target can
// quote what the target chose, line feeds included: here the DNS name of
// its certificate, in the TLS error ("certificate is valid for a\nFORGED…").
// The preflight's error and a setup request's, which loadgate prints, keep
// it on their line, escaped.
func TestNetworkErrorsAreOneLine(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hostile"},
		DNSNames:  []string{"a\nFORGED-LINE PASS"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writePEM(t, dir, "ca.pem", "CERTIFICATE", der)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // a name the certificate does not hold

	for _, tt := range []struct{ name, health, setup string }{
		{"the preflight", "/health", ""},
		{"a setup request", "none", "setup: [{name: prepare, path: /setup}]\n"},
	} {
		src := fmt.Sprintf("name: tls\ntarget:\n  base_url: %s\n  health: %s\n  tls: {ca_file: ca.pem}\n%sload:\n  stages: [{duration: 200ms, rate: 10/s}]\nrequests: [{name: a, path: /a}]\n",
			url, tt.health, tt.setup)
		path := filepath.Join(dir, "s.yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := scenarios.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = runWritten(t.Context(), sc, WithResultsRoot(t.TempDir()), WithPreflightTimeout(time.Second))
		if err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, `a\nFORGED-LINE PASS`) {
			t.Errorf("%s: %q, want the certificate's name on the error's line, escaped", tt.name, msg)
		}
	}
}
