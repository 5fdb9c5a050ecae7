package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
)

// exampleAPI is the API the scenarios of scenarios/examples/ are written
// for: a token login, a cookie session with a cart, a product search, a
// sign-up, redirects, and who a TLS client is. It checks what the examples
// send (a password against the account's, a request id that is a UUID, a
// Basic credential) and answers 4xx when it is wrong.
type exampleAPI struct {
	accounts map[string]string
	products []map[string]any

	mu       sync.Mutex // guards the maps and nextUser
	tokens   map[string]string
	sessions map[string]*session
	users    map[int]string
	nextUser int
}

type session struct {
	user  string
	items []map[string]any
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func newExampleAPI(t *testing.T) *exampleAPI {
	t.Helper()
	f, err := os.Open("../../scenarios/examples/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	api := &exampleAPI{accounts: map[string]string{}, tokens: map[string]string{}, sessions: map[string]*session{}, users: map[int]string{}}
	for _, r := range rows[1:] {
		api.accounts[r[0]] = r[1]
	}
	data, err := os.ReadFile("../../scenarios/examples/products.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &api.products); err != nil {
		t.Fatal(err)
	}
	return api
}

func token() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSONBody(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (api *exampleAPI) session(r *http.Request) *session {
	c, err := r.Cookie("sid")
	if err != nil {
		return nil
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.sessions[c.Value]
}

func (api *exampleAPI) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	mux.HandleFunc("GET /old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/", http.StatusMovedPermanently) })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User, Pass string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || api.accounts[in.User] != in.Pass {
			writeJSONBody(w, http.StatusForbidden, map[string]string{"error": "bad credentials"})
			return
		}
		tok := token()
		api.mu.Lock()
		api.tokens[tok] = in.User
		api.mu.Unlock()
		writeJSONBody(w, http.StatusOK, map[string]any{"token": tok, "expires_in": 60})
	})
	authed := func(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			api.mu.Lock()
			user, ok := api.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			api.mu.Unlock()
			if !ok {
				writeJSONBody(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
				return
			}
			next(w, r, user)
		}
	}
	mux.HandleFunc("GET /me", authed(func(w http.ResponseWriter, r *http.Request, user string) {
		writeJSONBody(w, http.StatusOK, map[string]string{"user": user})
	}))
	mux.HandleFunc("GET /orders", authed(func(w http.ResponseWriter, r *http.Request, user string) {
		writeJSONBody(w, http.StatusOK, map[string]any{"orders": []string{}, "limit": r.URL.Query().Get("limit")})
	}))
	mux.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("user") == "" || r.PostForm.Get("tier") == "" {
			http.Error(w, "user and tier, form-encoded", http.StatusBadRequest)
			return
		}
		sid := token()
		api.mu.Lock()
		api.sessions[sid] = &session{user: r.PostForm.Get("user")}
		api.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
		writeJSONBody(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /session/logout", func(w http.ResponseWriter, r *http.Request) {
		if s := api.session(r); s == nil {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		c, _ := r.Cookie("sid")
		api.mu.Lock()
		delete(api.sessions, c.Value)
		api.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "", Path: "/", MaxAge: -1})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /cart/items", func(w http.ResponseWriter, r *http.Request) {
		s := api.session(r)
		var item map[string]any
		if s == nil || json.NewDecoder(r.Body).Decode(&item) != nil || item["qty"] == nil {
			http.Error(w, "no session or bad item", http.StatusBadRequest)
			return
		}
		api.mu.Lock()
		s.items = append(s.items, item)
		n := len(s.items)
		api.mu.Unlock()
		writeJSONBody(w, http.StatusCreated, map[string]int{"count": n})
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		s := api.session(r)
		if s == nil {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		api.mu.Lock()
		defer api.mu.Unlock()
		writeJSONBody(w, http.StatusOK, map[string]any{"owner": s.user, "items": s.items})
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		var found []map[string]any
		for _, p := range api.products {
			if p["name"] == r.URL.Query().Get("q") {
				found = append(found, p)
			}
		}
		writeJSONBody(w, http.StatusOK, map[string]any{"results": found})
	})
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Email, Joined string
			TS            int64
		}
		cred, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || string(cred) != "admin:admin" || !uuidRE.MatchString(r.Header.Get("X-Request-Id")) || in.TS <= 0 {
			http.Error(w, "bad sign-up", http.StatusBadRequest)
			return
		}
		if _, err := time.Parse(time.RFC3339, in.Joined); err != nil {
			http.Error(w, "joined: "+err.Error(), http.StatusBadRequest)
			return
		}
		api.mu.Lock()
		api.nextUser++
		id := api.nextUser
		api.users[id] = in.Email
		api.mu.Unlock()
		w.Header().Set("Location", fmt.Sprintf("/users/%d", id))
		writeJSONBody(w, http.StatusCreated, map[string]any{"id": id, "email": in.Email})
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		api.mu.Lock()
		email, ok := api.users[id]
		api.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		writeJSONBody(w, http.StatusOK, map[string]any{"id": id, "email": email, "self": fmt.Sprintf("/users/%d", id)})
	})
	mux.HandleFunc("GET /users/{id}/welcome", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/users/"+r.PathValue("id"), http.StatusFound)
	})
	mux.HandleFunc("GET /tls/me", func(w http.ResponseWriter, r *http.Request) {
		client := ""
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			client = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		writeJSONBody(w, http.StatusOK, map[string]string{"client": client, "proto": r.Proto})
	})
	return mux
}

// exampleClientCert writes a CA-signed client certificate (CN
// loadgate-example) and its key into dir and returns the CA's pool.
func exampleClientCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, key := newKey(), newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "loadgate-example"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, kind string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("client.pem", "CERTIFICATE", der)
	write("client-key.pem", "EC PRIVATE KEY", keyDER)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// TestExamples runs every scenario of scenarios/examples/ (shortened to
// 3 s) against the API they are written for: each must pass its gates
// (exit 0) with every check passed.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/examples/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	api := newExampleAPI(t)
	plain := httptest.NewServer(api.routes())
	t.Cleanup(plain.Close)
	certs := t.TempDir()
	secure := httptest.NewUnstartedServer(api.routes())
	secure.EnableHTTP2 = true
	secure.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: exampleClientCert(t, certs)}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	if err := os.WriteFile(filepath.Join(certs, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EXAMPLE_CA_FILE", filepath.Join(certs, "ca.pem"))
	t.Setenv("EXAMPLE_CERT_FILE", filepath.Join(certs, "client.pem"))
	t.Setenv("EXAMPLE_KEY_FILE", filepath.Join(certs, "client-key.pem"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			url := plain.URL
			if name == "mtls" {
				url = secure.URL
			}
			out := filepath.Join(t.TempDir(), "run")
			code, stdout, stderr := runCLI(t, "run", f, "--target", url, "--duration", "3s", "--out", out)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			run, err := record.ReadRun(out)
			if err != nil {
				t.Fatal(err)
			}
			o := run.Overall
			if o.Requests == 0 || o.Successes != o.Requests || o.ChecksFailed != 0 || o.ChecksPassed == 0 || len(run.Flows) == 0 {
				t.Errorf("%d requests, %d ok, checks %d passed %d failed, %d flows; want all ok (errors %v)",
					o.Requests, o.Successes, o.ChecksPassed, o.ChecksFailed, len(run.Flows), o.Errors)
			}
			t.Logf("%d requests, %d checks passed, flows %d", o.Requests, o.ChecksPassed, len(run.Flows))
			for fname, fl := range run.Flows {
				if fl.Iteration.Requests == 0 || fl.Iteration.Successes != fl.Iteration.Requests {
					t.Errorf("flow %s: %d of %d iterations completed (errors %v)", fname, fl.Iteration.Successes, fl.Iteration.Requests, fl.Iteration.Errors)
				}
			}
		})
	}
}
