// Package redact hides credentials in what loadgate writes to files and
// terminals: the password of a URL (scenario base URLs, DATABASE_URL,
// REDIS_URL), password= and sslpassword= of a PostgreSQL key=value DSN, and
// credential query parameters. It works on text that does not parse as a URL
// too (an error message quoting one, a URL with an unescaped character), by
// pattern, and then prefers hiding too much to hiding too little.
//
// Args and Text do the same for command lines (an exec fault's) and free
// text (a command's output): the values of secret-looking flags,
// assignments and headers (SecretName).
//
// It changes only what is shown: callers connect with the real value and pass
// it through URL, or their error through Error, where it is recorded or
// printed. It is not a secret store. Of headers it knows the general rule,
// which names are credentials (CredentialHeader); a scenario may name more.
//
// It also owns how text from outside (a target's answers, a metrics
// endpoint's series, a scenario, a flag) is shown on a terminal: Terminal
// escapes what would act on the terminal, and TerminalWriter does so for
// everything written through it (loadgate's stdout and stderr).
package redact

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Mask is what a hidden value is replaced by (the same as net/url's Redacted
// and pgx's error messages use).
const Mask = "xxxxx"

var (
	// dsnPassword is password= or sslpassword= in a key=value DSN, its value
	// plain (up to a space) or quoted ('…' with backslash escapes).
	dsnPassword = regexp.MustCompile(`(?i)(^|[\s"'(` + "`" + `])((?:ssl)?password)\s*=\s*(?:'(?:\\.|[^'\\])*'?|\S*)`)
	// queryParam is a credential query parameter of a URL.
	queryParam = regexp.MustCompile("(?i)([?&;](?:password|sslpassword|passwd|pwd|secret|client_secret|token|access_token|api_key|apikey|key)=)[^&#\\s\"'`<>]*")
)

// URL returns s with its credentials replaced by Mask. s is a URL, a key=value
// DSN, or text holding either. A URL that parses keeps everything but the
// password and credential query values as written. Otherwise every
// "scheme://user:…@" is masked from the first ':' to the last '@' of the word,
// so an unescaped '@', '/' or '#' in a password does not leave part of it
// shown.
func URL(s string) string {
	if s == "" {
		return s
	}
	s = queryParam.ReplaceAllString(s, "${1}"+Mask)
	s = dsnPassword.ReplaceAllString(s, "${1}${2}="+Mask)
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\r\n\"'`<>") {
		return maskUserinfo(s, true)
	}
	return maskUserinfo(s, false)
}

// maskUserinfo masks the password of each "scheme://userinfo@" in s. For a
// URL that parsed (parsed), the userinfo ends where net/url ends it: at the
// last '@' before the query or fragment. In text, a word runs to the next
// space or quote, and its userinfo to its last '@'.
func maskUserinfo(s string, parsed bool) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		scheme := isScheme(s[:i])
		b.WriteString(s[:i+3])
		s = s[i+3:]
		if !scheme {
			continue
		}
		word := s
		if parsed {
			if end := strings.IndexAny(word, "?#"); end >= 0 {
				word = word[:end]
			}
		} else if end := strings.IndexAny(word, " \t\r\n\"'`<>"); end >= 0 {
			word = userinfoPastSpaces(word, end)
		}
		at := strings.LastIndexByte(word, '@')
		colon := strings.IndexByte(word, ':')
		if at < 0 || colon < 0 || colon > at {
			continue
		}
		b.WriteString(word[:colon+1])
		if word[colon+1:at] != "" {
			b.WriteString(Mask)
		}
		s = s[at:]
	}
}

// userinfoPastSpaces returns the word of text that starts at an authority
// and whose first space or quote is at end. A word that ends inside a
// password ("u:P" of "u:P W@h", a space net/url refuses but a user may write)
// runs on over spaces and tabs to the last '@' before a quote, a line break
// or another URL, so no part of the password is left shown. A word whose
// ':' is followed by a '/', '?' or '#' is past its authority (a port and a
// path) and ends at end.
func userinfoPastSpaces(text string, end int) string {
	word := text[:end]
	colon := strings.IndexByte(word, ':')
	if colon < 0 || strings.ContainsAny(word, "@") || strings.ContainsAny(word[colon:], "/?#") {
		return word
	}
	line := text
	if stop := strings.IndexAny(line, "\r\n\"'`<>"); stop >= 0 {
		line = line[:stop]
	}
	if next := strings.Index(line, "://"); next >= 0 {
		line = line[:next]
	}
	if at := strings.LastIndexByte(line, '@'); at > end {
		return line[:at+1]
	}
	return word
}

// isScheme reports whether the text before "://" ends in a URL scheme.
func isScheme(before string) bool {
	if before == "" {
		return false
	}
	c := before[len(before)-1]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// Error returns err with its message passed through URL, for errors that may
// quote a connection string (net/url's and go-redis's parse errors do, with
// the password). errors.Is and errors.As still see err.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = strings.ReplaceAll(msg, ue.Error(), urlError(ue))
	}
	return &redacted{msg: URL(msg), err: err}
}

// quoted is a Go-quoted string in an error message.
var quoted = regexp.MustCompile(`"(?:\\.|[^"\\])*"`)

// urlError is the message of a net/url parse error with the password of its
// URL hidden, also where the error quotes a part of it after the whole: a
// password holding an unencoded '/' or '?' reads as a port ("invalid port
// \":P\" after host"), one holding a bad escape as that escape, and one
// holding a '#' is cut there, so the URL quoted has no '@' and its password
// shows as the port. A quoted part found in the password is masked; an
// invalid port of a URL without '@' is masked wherever it shows (it may be a
// password's head).
func urlError(ue *url.Error) string {
	shown, inner := URL(ue.URL), ue.Err.Error()
	var password string
	if i := strings.Index(ue.URL, "://"); i >= 0 {
		rest := ue.URL[i+3:]
		at, colon := strings.LastIndexByte(rest, '@'), strings.IndexByte(rest, ':')
		switch {
		case colon >= 0 && at > colon:
			password = rest[colon+1 : at]
		case at < 0 && strings.HasPrefix(inner, "invalid port "):
			if q := quoted.FindString(inner); len(q) > 3 {
				if port, err := strconv.Unquote(q); err == nil && strings.HasPrefix(port, ":") {
					password = port[1:]
					shown = strings.Replace(shown, port, ":"+Mask, 1)
				}
			}
		}
	}
	if password != "" {
		inner = quoted.ReplaceAllStringFunc(inner, func(q string) string {
			part, err := strconv.Unquote(q)
			if err != nil {
				return q
			}
			colon, part := strings.HasPrefix(part, ":"), strings.TrimPrefix(part, ":")
			if part == "" || !strings.Contains(password, part) {
				return q
			}
			if colon {
				return strconv.Quote(":" + Mask)
			}
			return strconv.Quote(Mask)
		})
	}
	return fmt.Sprintf("%s %q: %s", ue.Op, shown, inner)
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
