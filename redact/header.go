package redact

import "strings"

// credentialParts are the name fragments that make a header a credential.
var credentialParts = []string{"auth", "token", "secret", "passw", "cookie", "session", "credential", "key"}

// CredentialHeader reports whether the value of the header name is a
// credential by its name alone: Authorization, Proxy-Authorization,
// Cookie, Set-Cookie, X-API-Key, and any header whose name holds auth,
// token, secret, passw, cookie, session, credential or key (X-Auth-Token,
// X-Session-Id), compared without regard to case. A scenario may name more
// (scenarios.Target.SecretHeader); this is the rule that needs no
// scenario, as when reading an old run.json.
func CredentialHeader(name string) bool {
	for _, part := range credentialParts {
		if containsFold(name, part) {
			return true
		}
	}
	return false
}

// containsFold reports whether s holds the lower-case ASCII word part,
// without regard to case and without allocating.
func containsFold(s, part string) bool {
	for i := 0; i+len(part) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(part)], part) {
			return true
		}
	}
	return false
}
