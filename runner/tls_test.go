package runner

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// writePEM writes one PEM block to dir/name and returns the path.
func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientCA makes a CA and a client certificate it signed, written as
// client.pem and client-key.pem in dir; it returns the CA's pool.
func clientCA(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loadgate test client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "loadgate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, dir, "client.pem", "CERTIFICATE", der)
	writePEM(t, dir, "client-key.pem", "EC PRIVATE KEY", keyDER)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// protoServer counts the requests it serves by protocol ("HTTP/1.1",
// "HTTP/2.0"); with mutual TLS it also counts the client certificates.
type protoServer struct {
	h1, h2, withCert atomic.Int64
}

func (p *protoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.ProtoMajor {
	case 2:
		p.h2.Add(1)
	default:
		p.h1.Add(1)
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "loadgate" {
		p.withCert.Add(1)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok": true}`)
}

// tlsScenario is a short run of a mix of one request and one flow, after
// the end of a target block (tls, http2).
func tlsScenario(tlsBlock string) string {
	return tlsBlock + `load:
  stages: [{duration: 500ms, rate: 20/s}]
requests:
  - {name: plain, path: /plain}
flows:
  - name: f
    steps:
      - {name: a, path: /a, check: [{json: $.ok, equals: "true"}]}
      - {name: b, path: /b}
`
}

// tlsRun runs tlsScenario against url, the target block ending with extra.
func tlsRun(t *testing.T, dir, url, extra string) (*record.Run, error) {
	t.Helper()
	src := fmt.Sprintf("name: tls\ntarget:\n  base_url: %s\n  timeout: 5s\n  health: /health\n%s", url, tlsScenario(extra))
	path := filepath.Join(dir, "tls.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	run, _, err := runWritten(t.Context(), sc, WithResultsRoot(t.TempDir()), WithPreflightTimeout(time.Second))
	return run, err
}

func allOK(t *testing.T, run *record.Run) {
	t.Helper()
	o := run.Overall
	if o.Requests < 10 || o.Successes != o.Requests || o.ChecksFailed != 0 || run.Endpoints["plain"].Requests == 0 || run.Endpoints["f.b"].Requests == 0 {
		t.Errorf("%d requests, %d ok, %d checks failed; want 10 draws of the mix, all ok (errors %v)", o.Requests, o.Successes, o.ChecksFailed, o.Errors)
	}
}

// TestTLSSelfSigned: a server with a self-signed certificate is refused by
// default, trusted with its certificate as ca_file, and reached without
// verification with insecure_skip_verify.
func TestTLSSelfSigned(t *testing.T) {
	ps := &protoServer{}
	srv := httptest.NewTLSServer(ps)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writePEM(t, dir, "ca.pem", "CERTIFICATE", srv.Certificate().Raw)

	if _, err := tlsRun(t, dir, srv.URL, ""); err == nil || !IsUnreachable(err) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusted certificate: %v, want the preflight to refuse it", err)
	}
	run, err := tlsRun(t, dir, srv.URL, "  tls: {ca_file: ca.pem}\n")
	if err != nil {
		t.Fatal(err)
	}
	allOK(t, run)
	run, err = tlsRun(t, dir, srv.URL, "  tls: {insecure_skip_verify: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	allOK(t, run)
}

// TestMutualTLS: a server that requires a client certificate gets the
// scenario's (and refuses a run without one).
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ps := &protoServer{}
	srv := httptest.NewUnstartedServer(ps)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA(t, dir)}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	writePEM(t, dir, "ca.pem", "CERTIFICATE", srv.Certificate().Raw)

	if _, err := tlsRun(t, dir, srv.URL, "  tls: {ca_file: ca.pem}\n"); err == nil || !IsUnreachable(err) {
		t.Errorf("without a client certificate: %v, want the preflight refused", err)
	}
	run, err := tlsRun(t, dir, srv.URL, "  tls: {ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem}\n")
	if err != nil {
		t.Fatal(err)
	}
	allOK(t, run)
	// The health check and the run's requests.
	if n := ps.withCert.Load(); n != run.Overall.Requests+1 {
		t.Errorf("%d requests came with the client certificate, want all %d", n, run.Overall.Requests+1)
	}
}

// TestHTTP2Negotiated: against a server that offers HTTP/2 (ALPN), the
// request mix and the flows speak it; http2: false keeps HTTP/1.1.
func TestHTTP2Negotiated(t *testing.T) {
	ps := &protoServer{}
	srv := httptest.NewUnstartedServer(ps)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writePEM(t, dir, "ca.pem", "CERTIFICATE", srv.Certificate().Raw)

	run, err := tlsRun(t, dir, srv.URL, "  tls: {ca_file: ca.pem}\n")
	if err != nil {
		t.Fatal(err)
	}
	allOK(t, run)
	if h1, h2 := ps.h1.Load(), ps.h2.Load(); h2 != run.Overall.Requests+1 || h1 != 0 {
		t.Errorf("%d requests over HTTP/2, %d over HTTP/1.1; want all %d over HTTP/2", h2, h1, run.Overall.Requests+1)
	}
	ps.h1.Store(0)
	ps.h2.Store(0)
	run, err = tlsRun(t, dir, srv.URL, "  tls: {ca_file: ca.pem}\n  http2: false\n")
	if err != nil {
		t.Fatal(err)
	}
	allOK(t, run)
	if h1, h2 := ps.h1.Load(), ps.h2.Load(); h1 != run.Overall.Requests+1 || h2 != 0 {
		t.Errorf("http2 false: %d over HTTP/2, %d over HTTP/1.1; want all %d over HTTP/1.1", h2, h1, run.Overall.Requests+1)
	}
}

// TestRedirects: the target's redirect limit (default 10, 0 = the 3xx is
// the answer) and a step's own limit, in the request mix and in flows.
func TestRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/r2":
			http.Redirect(w, r, "/r1", http.StatusFound)
		case "/r1":
			http.SetCookie(w, &http.Cookie{Name: "via", Value: "r1"})
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/ok":
			if c, err := r.Cookie("via"); err != nil || c.Value != "r1" {
				http.Error(w, "the redirect's cookie is missing", http.StatusBadRequest)
			}
		}
	}))
	t.Cleanup(srv.Close)
	run := func(target, body string) *record.Run {
		sc := scenarioFor(t, srv.URL, target+"load:\n  stages: [{duration: 500ms, rate: 10/s}]\n"+body)
		r, _, err := runWritten(t.Context(), sc, WithResultsRoot(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// The default follows both hops (the flow's jar carries the cookie set
	// on the way), a step limit of 1 fails, a limit of 0 answers the 302.
	r := run("", `flows:
  - name: f
    steps:
      - {name: follow, path: /r2, expect: [200]}
      - {name: one, path: /r2, redirects: 1, expect: [200, 302]}
`)
	if s := r.Endpoints["f.follow"]; s.Successes != 5 || s.StatusCodes["200"] != 5 {
		t.Errorf("f.follow: %+v", s)
	}
	if s := r.Endpoints["f.one"]; s.Successes != 0 || s.Errors["other"] != 5 {
		t.Errorf("f.one (limit 1 of 2 hops): %+v, want transport errors", s)
	}
	r = run("  redirects: 0\n", `requests:
  - {name: plain, path: /r2}
`)
	if s := r.Endpoints["plain"]; s.Successes != 5 || s.StatusCodes["302"] != 5 {
		t.Errorf("plain with redirects 0: %+v, want the 302s (success by default)", s)
	}
}
