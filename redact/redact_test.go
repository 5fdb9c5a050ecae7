package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in, want string
	}{
		// A URL that parses: the password is masked, the rest kept as written.
		{"password", "postgres://u:PW@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"http password", "http://u:PW@127.0.0.1:8080", "http://u:xxxxx@127.0.0.1:8080"},
		// Redis's password-only form.
		{"redis no user", "redis://:PW@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		// Nothing secret: unchanged, byte for byte.
		{"plain", "http://127.0.0.1:8080/api?q=a%20b&limit=5", "http://127.0.0.1:8080/api?q=a%20b&limit=5"},
		{"user only", "postgres://postgres@127.0.0.1:5432/loadgate", "postgres://postgres@127.0.0.1:5432/loadgate"},
		{"empty", "", ""},
		// Credential query parameters, in the order written.
		{"query", "postgres://h/db?sslpassword=SP&sslmode=require&password=PW", "postgres://h/db?sslpassword=xxxxx&sslmode=require&password=xxxxx"},
		{"query case", "http://h/metrics?Access_Token=PW", "http://h/metrics?Access_Token=xxxxx"},
		// A URL that does not parse: masked by pattern.
		{"unparsable", "postgres://u:PW@h/x%zz", "postgres://u:xxxxx@h/x%zz"},
		{"unparsable redis", "redis://u:PW@h/x%zz", "redis://u:xxxxx@h/x%zz"},
		{"bad port", "http://u:PW@h:port/", "http://u:xxxxx@h:port/"},
		// An unencoded '/' or '@' in the password.
		{"slash in password", "postgres://u:P/W@h/db", "postgres://u:xxxxx@h/db"},
		{"digits then slash", "postgres://u:12/PW@h/db", "postgres://u:xxxxx@h/db"},
		{"at in password", "postgres://u:P@W@h/db", "postgres://u:xxxxx@h/db"},
		// An unencoded space in the password (net/url refuses it): the userinfo
		// runs past the space to the '@', so no part of the password shows.
		{"space in password", "http://u:P W@127.0.0.1:1", "http://u:xxxxx@127.0.0.1:1"},
		{"spaces in password", "postgres://u:P\tW x PW@h/db", "postgres://u:xxxxx@h/db"},
		{"space in quoted password", `database URL "postgres://u:P W@h:1/x": cannot parse`, `database URL "postgres://u:xxxxx@h:1/x": cannot parse`},
		// A port and a path before a space are not a password: text after them keeps its '@'.
		{"port then text", "http://h:8080/x failed for a@b", "http://h:8080/x failed for a@b"},
		// key=value DSNs, plain and quoted.
		{"dsn", "host=h user=u password=PW dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"dsn quoted", "host=h password='P W\\' x' dbname=db", "host=h password=xxxxx dbname=db"},
		{"dsn spaces", "host=h password = PW sslpassword=SP", "host=h password=xxxxx sslpassword=xxxxx"},
		{"dsn first", "password=PW host=h", "password=xxxxx host=h"},
		// Text quoting URLs, as parse errors do.
		{"error text", `parse "redis://u:PW@h/x%zz": invalid URL escape "%zz"`, `parse "redis://u:xxxxx@h/x%zz": invalid URL escape "%zz"`},
		{"dsn in error", "cannot parse `password=PW host=h`: bad", "cannot parse `password=xxxxx host=h`: bad"},
		{"two urls", "from http://a:PW@h1/ to https://b:PW@h2/x", "from http://a:xxxxx@h1/ to https://b:xxxxx@h2/x"},
		// An '@' after the query is not userinfo.
		{"at in query", "http://h:8080/x?email=a@b.com", "http://h:8080/x?email=a@b.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := URL(c.in)
			if got != c.want {
				t.Errorf("URL(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if strings.Contains(got, "PW") || strings.Contains(got, "SP") {
				t.Errorf("URL(%q) = %q keeps a secret", c.in, got)
			}
			if again := URL(got); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	_, perr := url.Parse("redis://u:PW@h/x%zz")
	err := Error(fmt.Errorf("REDIS_URL: %w", perr))
	if strings.Contains(err.Error(), "PW") || !strings.Contains(err.Error(), "redis://u:xxxxx@h/x%zz") {
		t.Errorf("Error() = %q", err)
	}
	// net/url quotes a part of the URL after the whole: a password with an
	// unencoded '/' reads as a port ("invalid port \":SEC\" after host"),
	// one with a bad escape as that escape. Neither may show.
	for _, raw := range []string{"redis://:SEC/PW@127.0.0.1:6379/0", "redis://u:SEC/PW@h/0", "postgres://u:P%zzW@h/db", "http://u:SEC#PW@h:1/"} {
		_, perr := url.Parse(raw)
		if perr == nil {
			t.Fatalf("url.Parse(%q) parsed", raw)
		}
		got := Error(fmt.Errorf("REDIS_URL %q: %w", URL(raw), perr)).Error()
		for _, part := range []string{"SEC", "PW", "P%zzW", "%zz"} {
			if strings.Contains(got, part) {
				t.Errorf("Error(%v) = %q shows %q of the password", perr, got, part)
			}
		}
	}
	// A quoted part of the URL that is not in the password stays.
	_, perr = url.Parse("postgres://u:PW@h/x%zz")
	if got := Error(perr).Error(); !strings.Contains(got, `invalid URL escape "%zz"`) {
		t.Errorf("Error() = %q lost what was wrong with the path", got)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Error("the cause is no longer in the chain")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	if !errors.Is(Error(fmt.Errorf("x: %w", fs.ErrNotExist)), fs.ErrNotExist) {
		t.Error("errors.Is lost its sentinel")
	}
}

// TestCredentialHeader: credential names by themselves and by the parts
// they hold, without regard to case; others are not.
func TestCredentialHeader(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "Set-Cookie": true,
		"X-API-Key": true, "X-Session-Id": true, "x-auth-token": true, "X-Client-Secret": true,
		"X-Passwd": true, "X-Credentials": true, "X-KEY": true,
		"Accept": false, "X-Trace": false, "Content-Type": false, "": false,
	} {
		if got := CredentialHeader(name); got != want {
			t.Errorf("CredentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
}
