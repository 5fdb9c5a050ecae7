package record

import "github.com/loadgate/loadgate/redact"

// maskCredentials replaces, in place, the value of every header of the plan
// whose name is a credential (redact.CredentialHeader) by redact.Mask:
// plan.headers and the headers of the requests and of the flows' steps. A
// run.json of a loadgate from before header masking holds them in clear.
//
// Only the general rule applies: run.json does not record the scenario's
// own target.secret_headers, so a header only that list named stays as an
// old file has it (a current loadgate masks it when it writes the plan).
func (p *Plan) maskCredentials() {
	mask := func(h map[string]string) {
		for k := range h {
			if redact.CredentialHeader(k) {
				h[k] = redact.Mask
			}
		}
	}
	mask(p.Headers)
	for _, r := range p.Requests {
		mask(r.Headers)
	}
	for _, f := range p.Flows {
		for _, st := range f.Steps {
			mask(st.Headers)
		}
	}
}
