package target

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/loadgate/loadgate/target/store"
)

// keyMemoTTL is how long a verified key is trusted without asking
// PostgreSQL again (optimized profile); a deleted key stops working within it.
const keyMemoTTL = time.Minute

// keyMemoSize bounds the memo; when full it is cleared.
const keyMemoSize = 1024

// keyMemo remembers recently verified key hashes. Only hashes of keys that
// exist are kept, so unknown keys cannot fill it.
type keyMemo struct {
	on  bool
	now func() time.Time

	mu   sync.Mutex // guards seen
	seen map[store.KeyHash]time.Time
}

func newKeyMemo(on bool) *keyMemo {
	return &keyMemo{on: on, now: time.Now, seen: make(map[store.KeyHash]time.Time)}
}

func (k *keyMemo) valid(h store.KeyHash) bool {
	if !k.on {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	until, ok := k.seen[h]
	return ok && k.now().Before(until)
}

func (k *keyMemo) remember(h store.KeyHash) {
	if !k.on {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.seen) >= keyMemoSize {
		clear(k.seen)
	}
	k.seen[h] = k.now().Add(keyMemoTTL)
}

// requireKey answers 401 unless X-API-Key, or else an Authorization bearer
// token (what OpenAI clients send), holds a stored key. The key is hashed
// (SHA-256) and only hashes are compared: the lookup by hash leaks nothing
// about a stored key through timing, since finding a key from its hash is
// infeasible.
func (s *Server) requireKey(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := requestKey(r)
		if key == "" {
			writeAPIError(w, &apiError{Status: http.StatusUnauthorized, Code: "unauthorized",
				Message: "missing X-API-Key header (or Authorization: Bearer KEY)"})
			return
		}
		hash := store.HashKey(key)
		if !s.keys.valid(hash) {
			ok, err := s.store.APIKeyExists(r.Context(), hash)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if !ok {
				writeAPIError(w, &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid API key"})
				return
			}
			s.keys.remember(hash)
		}
		h.ServeHTTP(w, r)
	})
}

// requestKey is the API key of r: X-API-Key, else the token of
// "Authorization: Bearer TOKEN" (the scheme in any case, as RFC 9110 has it).
func requestKey(r *http.Request) string {
	// The canonical forms of the names, so the lookup allocates nothing.
	if v := r.Header["X-Api-Key"]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if v := r.Header["Authorization"]; len(v) > 0 {
		if scheme, token, ok := strings.Cut(v[0], " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
	}
	return ""
}
