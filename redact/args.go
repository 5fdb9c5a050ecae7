package redact

import (
	"regexp"
	"strings"
)

// secretWords are the parts of a flag, variable or header name that make
// its value a credential: the header rule of scenarios.Target.SecretHeader,
// with pass and pwd for passwords (--pass, --passphrase, PGPASSWORD,
// MYSQL_PWD).
var secretWords = []string{"pass", "pwd", "secret", "token", "auth", "credential", "cookie", "session", "key"}

// SecretName reports whether name, a command-line flag (without its
// dashes), an environment variable or a header, names a credential: it
// holds pass, pwd, secret, token, auth, credential, cookie, session or key,
// in any case (--password, --api-key, --auth-token, PGPASSWORD,
// Authorization, X-Session-Id). It prefers hiding too much: --keyspace and
// --author match too.
func SecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// userFlag reports whether a flag's value is USER:PASSWORD (curl's -u,
// --user, --proxy-user).
func userFlag(name string) bool {
	switch name {
	case "u", "user", "proxy-user", "U":
		return true
	}
	return false
}

// next is what an argument asks of the one after it.
type next int

const (
	keepNext     next = iota
	maskNext          // the value of a secret flag written apart
	maskNextPass      // USER:PASSWORD written apart: the password
)

// Args returns a command's argument list as it may be shown (an exec
// fault's command in an error, run.json or a report): a copy with each
// argument passed through URL (a URL's password, credential query values,
// password= of a DSN) and with these values replaced by Mask:
//   - of a flag whose name is secret (SecretName), written --name=VALUE,
//     -name=VALUE or --name VALUE (the next argument); --no-… flags take
//     no value;
//   - the password of USER:PASSWORD after -u, --user or --proxy-user
//     (curl), joined or apart;
//   - -pVALUE, the password joined to -p (mysql; -p apart is a port for
//     most tools and is kept), and the argument after -a (redis-cli);
//   - NAME=VALUE with a secret NAME (PGPASSWORD=…, an env assignment) and
//     "Name: value" with a secret Name (a header given with -H), also as
//     the value of another flag (--header=Name: value, --env=NAME=VALUE).
//
// A value that does not look like one of these is shown: values that came
// from the environment are masked before this by who knows where they came
// from (scenarios.Fault.ShownRun).
func Args(argv []string) []string {
	out := make([]string, len(argv))
	after := keepNext
	for i, a := range argv {
		switch after {
		case maskNext:
			out[i], after = maskValue(a), keepNext
			continue
		case maskNextPass:
			out[i], after = maskPassword(a), keepNext
			continue
		}
		out[i], after = arg(URL(a))
	}
	return out
}

// arg is one argument as it may be shown, and what it asks of the next.
func arg(a string) (string, next) {
	if strings.HasPrefix(a, "-") && len(a) > 1 {
		return flag(a)
	}
	if name, value, ok := strings.Cut(a, "="); ok && validName(name) && SecretName(name) {
		return name + "=" + maskValue(value), keepNext
	}
	if name, value, ok := strings.Cut(a, ":"); ok && validName(name) && !strings.HasPrefix(value, "//") && SecretName(name) {
		return name + ":" + leadingSpace(value) + maskValue(strings.TrimLeft(value, " \t")), keepNext
	}
	return a, keepNext
}

// flag is an argument that starts with a dash.
func flag(a string) (string, next) {
	dashes := "-"
	if strings.HasPrefix(a, "--") {
		dashes = "--"
	}
	name, value, eq := strings.Cut(a[len(dashes):], "=")
	switch {
	case name == "":
		return a, keepNext // "--", the end of the options
	case userFlag(name) && eq:
		return dashes + name + "=" + maskPassword(value), keepNext
	case userFlag(name):
		return a, maskNextPass
	case dashes == "-" && name[0] == 'u' && strings.Contains(name, ":") && !eq:
		return "-u" + maskPassword(name[1:]), keepNext // -uUSER:PASSWORD
	case dashes == "-" && name == "a" && !eq:
		return a, maskNext
	case dashes == "-" && name[0] == 'p' && len(name) > 1 && !eq:
		return "-p" + Mask, keepNext // -pPASSWORD
	case strings.HasPrefix(strings.ToLower(name), "no-") || !SecretName(name):
		if eq { // --header=Authorization: …, --env=PGPASSWORD=…
			v, _ := arg(value)
			return dashes + name + "=" + v, keepNext
		}
		return a, keepNext
	case eq:
		return dashes + name + "=" + maskValue(value), keepNext
	}
	return a, maskNext
}

// validName reports whether s can be a variable or header name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func maskValue(v string) string {
	if v == "" {
		return v
	}
	return Mask
}

// maskPassword masks what follows the first ':' of USER:PASSWORD; a value
// without ':' is all masked (it may be a password alone).
func maskPassword(v string) string {
	if user, pass, ok := strings.Cut(v, ":"); ok {
		return user + ":" + maskValue(pass)
	}
	return maskValue(v)
}

func leadingSpace(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

// secretNameRE matches a name that SecretName accepts.
const secretNameRE = `[A-Za-z0-9_.-]*(?i:pass|pwd|secret|token|auth|credential|cookie|session|key)[A-Za-z0-9_.-]*`

// Each pattern matches only what it masks: a match that is kept would take
// its text from the next pattern's matches (they do not overlap).
var (
	// textFlag is a secret flag and its value in text: --name=VALUE,
	// -name=VALUE, --name VALUE (a value apart does not start with a dash).
	textFlag = regexp.MustCompile(`(^|[\s"'(\[,])(--?` + secretNameRE + `)(?:(=)("[^"]*"|'[^']*'|[^\s"']*)|([ \t]+)("[^"]*"|'[^']*'|[^\s"'-][^\s"']*))`)
	// textUser is USER:PASSWORD after -u, --user, --proxy-user; textA the
	// value after -a; textJoined -pPASSWORD.
	textUser   = regexp.MustCompile(`(^|[\s"'(\[,])(-u|--user|--proxy-user)(=|[ \t]*)([^\s"':]*):([^\s"']+)`)
	textA      = regexp.MustCompile(`(^|[\s"'(\[,])-a[ \t]+[^\s"'-][^\s"']*`)
	textJoined = regexp.MustCompile(`(^|[\s"'(\[,])-p[^\s"'=-][^\s"']*`)
	// textAssign is NAME=VALUE in text with a secret NAME, up to a space,
	// quote or '&'.
	textAssign = regexp.MustCompile(`(^|[\s"'(\[,;&?])(` + secretNameRE + `)=("[^"]*"|'[^']*'|[^\s"'&]+)`)
	// textHeader is "Name: value" in text with a secret Name; the value
	// runs to the end of the line or a quote (Authorization: Bearer T holds
	// a space).
	textHeader = regexp.MustCompile(`(^|[\s"'(\[,])(` + secretNameRE + `):([ \t]*)([^\s"'/][^\r\n"']*)`)
	// textJSON is "name": "value" in text with a secret name.
	textJSON = regexp.MustCompile(`"(` + secretNameRE + `)"([ \t]*:[ \t]*)"(?:\\.|[^"\\])*"`)
)

// Text returns free text (a command's output, an error message quoting a
// command line) with the credentials Args hides masked where they can be
// recognised in text: what URL masks, the value of a secret flag written
// with '=' or apart (--password=V, --token V), -pPASSWORD, the value after
// -a, the password of -u USER:PASSWORD, NAME=VALUE with a secret name, the
// rest of the line after "Name:" with a secret name (Authorization: Bearer
// T), and the string value of a secret key in JSON ("token": "T"). In text a
// value apart from its flag that starts with a dash is taken for the next
// flag and shown; Args, which sees the arguments, hides it.
func Text(s string) string {
	if s == "" {
		return s
	}
	s = URL(s)
	s = replace(textFlag, s, func(p []string) string {
		lead, fl, sep, value := p[1], p[2], p[3], p[4]
		if sep == "" {
			sep, value = p[5], p[6]
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimLeft(fl, "-")), "no-") {
			return p[0]
		}
		return lead + fl + sep + maskValue(value)
	})
	s = replace(textUser, s, func(p []string) string { return p[1] + p[2] + p[3] + p[4] + ":" + Mask })
	s = replace(textA, s, func(p []string) string { return p[1] + "-a " + Mask })
	s = replace(textJoined, s, func(p []string) string { return p[1] + "-p" + Mask })
	s = replace(textAssign, s, func(p []string) string { return p[1] + p[2] + "=" + Mask })
	s = replace(textJSON, s, func(p []string) string { return `"` + p[1] + `"` + p[2] + `"` + Mask + `"` })
	return replace(textHeader, s, func(p []string) string {
		if strings.HasPrefix(p[4], Mask) { // masked already (Args)
			return p[0]
		}
		return p[1] + p[2] + ":" + p[3] + Mask
	})
}

// replace is ReplaceAllStringFunc given each match's submatches.
func replace(re *regexp.Regexp, s string, f func(p []string) string) string {
	return re.ReplaceAllStringFunc(s, func(m string) string { return f(re.FindStringSubmatch(m)) })
}
