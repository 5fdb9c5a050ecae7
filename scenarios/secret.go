package scenarios

import (
	"net/http"
	"slices"
	"strings"

	"github.com/loadgate/loadgate/redact"
)

// SecretHeader reports whether the value of header name is a credential,
// sent to the target but never recorded or printed: a credential by its
// name (redact.CredentialHeader: Authorization, X-API-Key, any name holding
// auth, token, secret, passw, cookie, session, credential or key) or one
// the scenario lists in target.secret_headers. Names are compared without
// regard to case.
func (t *Target) SecretHeader(name string) bool {
	return redact.CredentialHeader(name) || slices.ContainsFunc(t.SecretHeaders, func(s string) bool { return strings.EqualFold(s, name) })
}

// ShownHeaders returns headers as they may be recorded (run.json's plan) or printed: names in
// canonical form, secret values replaced by redact.Mask; nil when empty.
func (t *Target) ShownHeaders(headers map[string]string) map[string]string {
	if len(headers) == 0 {
		return nil
	}
	out := make(map[string]string, len(headers))
	for k, v := range headers {
		if t.SecretHeader(k) {
			v = redact.Mask
		}
		out[http.CanonicalHeaderKey(k)] = v
	}
	return out
}
