package runner

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestErrorKindByType: the flow engine's transport errors are classified by
// their type, from real sockets: a refused connection, the client's
// timeout, a body cut short; a message that merely says "timeout" is no
// timeout.
func TestErrorKindByType(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			<-release
		case "/cut":
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("only ten b"))
			panic(http.ErrAbortHandler) // closes the connection
		}
	}))
	defer srv.Close()
	defer close(release)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	do := func(url string) error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	for name, c := range map[string]struct {
		err  error
		want kind
	}{
		"refused":   {do(closed), kindRefused},
		"timeout":   {do(srv.URL + "/slow"), kindTimeout},
		"cut short": {do(srv.URL + "/cut"), kindReset},
		"only says": {errors.New("Timeout: connection refused by peer"), kindOther},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if got := errorKind(c.err); got != c.want {
			t.Errorf("%s (%v): kind %s, want %s", name, c.err, got.name(), c.want.name())
		}
	}
}
