package runner

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/loadgate/loadgate/redact"
	"github.com/loadgate/loadgate/scenarios"
)

// checkRedirect is the redirect policy of a limit: 0 takes the redirect
// response itself as the answer; beyond the limit the request fails.
//
// Once a chain of redirects has left the first request's origin (scheme,
// host and port), its requests carry none of the headers secret reports
// (nil: redact.CredentialHeader) and no Referer, which quotes the URL
// before it (a token in its query). Go itself drops only Authorization,
// Cookie and their kin, and copies every other header of the first request
// to wherever the target sends it. A Referer that stays loses its fragment:
// the targeter's endpoint tag ("#3") is loadgate's own, not the target's.
func checkRedirect(limit int, secret func(name string) bool) func(*http.Request, []*http.Request) error {
	if secret == nil {
		secret = redact.CredentialHeader
	}
	return func(req *http.Request, via []*http.Request) error {
		switch {
		case limit == 0:
			return http.ErrUseLastResponse
		case len(via) > limit:
			return fmt.Errorf("stopped after %d redirects", limit)
		}
		if leftOrigin(req, via) {
			for name := range req.Header {
				if name == "Referer" || secret(name) {
					delete(req.Header, name)
				}
			}
		} else if ref := req.Header.Get("Referer"); strings.Contains(ref, "#") {
			req.Header.Set("Referer", ref[:strings.IndexByte(ref, '#')])
		}
		return nil
	}
}

// leftOrigin reports whether req or a redirect before it goes to another
// origin than the first request of the chain: once left, a chain that
// comes back is still treated as having left (the other host chose where
// it leads).
func leftOrigin(req *http.Request, via []*http.Request) bool {
	first := origin(via[0].URL)
	if origin(req.URL) != first {
		return true
	}
	for _, r := range via[1:] {
		if origin(r.URL) != first {
			return true
		}
	}
	return false
}

// origin is u's scheme, host and port, the port written out when implied.
func origin(u *url.URL) string {
	scheme, port := strings.ToLower(u.Scheme), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// redirectSecrets returns which headers never follow a redirect to another
// origin: the scenario's secret headers (scenarios.Target.SecretHeader:
// the credential names and target.secret_headers) and every header whose
// value in some request, setup request or flow step is a template (a data
// value, an extracted token). Names are canonical, as requests carry them.
func redirectSecrets(sc *scenarios.Scenario) func(name string) bool {
	templated := map[string]bool{}
	add := func(headers map[string]string) {
		for k, v := range headers {
			if holdsReference(v) {
				templated[http.CanonicalHeaderKey(k)] = true
			}
		}
	}
	add(sc.Target.Headers)
	for _, r := range sc.Requests {
		add(r.Headers)
	}
	for _, r := range sc.Setup {
		add(r.Headers)
	}
	for _, f := range sc.Flows {
		for _, st := range f.Steps {
			add(st.Headers)
		}
	}
	target := sc.Target
	return func(name string) bool { return templated[name] || target.SecretHeader(name) }
}

// holdsReference reports whether a template refers to a value (a data
// source, a variable, a helper); one that does not parse counts as one.
func holdsReference(tmpl string) bool {
	parts, err := scenarios.ParseTemplate(tmpl)
	if err != nil {
		return true
	}
	for _, p := range parts {
		if p.Var != "" || p.Func != "" {
			return true
		}
	}
	return false
}
