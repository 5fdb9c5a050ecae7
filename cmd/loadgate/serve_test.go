package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/target/services"
)

// serve on a socket handed over (what loadgate scenario's target gets): a
// value that is no inherited listening socket is refused, exit 2, naming
// the variable.
func TestServeListenFDRefused(t *testing.T) {
	t.Parallel()
	for _, fd := range []string{"x", "1", "-4"} {
		var out, errb bytes.Buffer
		code := run([]string{"serve"}, env{stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == services.EnvListenFD {
				return fd
			}
			return ""
		}})
		if code != 2 || !strings.Contains(errb.String(), services.EnvListenFD+"=") {
			t.Errorf("%s=%s: exit %d\n%s", services.EnvListenFD, fd, code, errb.String())
		}
	}
}
