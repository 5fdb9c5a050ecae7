package redact

import (
	"slices"
	"strings"
	"testing"
)

// Args hides each kind of credential a command line carries, in each way it
// is written, and shows the rest as written.
func TestArgs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		in, want []string
	}{
		// Flags whose name is secret, joined with '=' or apart.
		{"long flag =", []string{"psql", "--password=PW", "-h", "127.0.0.1"}, []string{"psql", "--password=xxxxx", "-h", "127.0.0.1"}},
		{"long flag apart", []string{"curl", "--token", "PW", "http://h/"}, []string{"curl", "--token", "xxxxx", "http://h/"}},
		{"single dash long", []string{"tool", "-api-key=PW"}, []string{"tool", "-api-key=xxxxx"}},
		{"case", []string{"tool", "--Client-Secret", "PW"}, []string{"tool", "--Client-Secret", "xxxxx"}},
		// A negated flag takes no value: the next argument is shown.
		{"no- flag", []string{"psql", "--no-password", "-c", "select 1"}, []string{"psql", "--no-password", "-c", "select 1"}},
		// curl's user:password, joined or apart: the user is shown.
		{"curl -u", []string{"curl", "-u", "admin:PW", "http://h/"}, []string{"curl", "-u", "admin:xxxxx", "http://h/"}},
		{"curl --user=", []string{"curl", "--user=admin:PW"}, []string{"curl", "--user=admin:xxxxx"}},
		{"curl -u joined", []string{"curl", "-uadmin:PW"}, []string{"curl", "-uadmin:xxxxx"}},
		// mysql's joined -p, redis-cli's -a; -p apart is a port.
		{"mysql -p", []string{"mysql", "-pPW", "-P", "3306"}, []string{"mysql", "-pxxxxx", "-P", "3306"}},
		{"redis-cli", []string{"redis-cli", "-p", "6379", "-a", "PW", "CLIENT", "UNPAUSE"}, []string{"redis-cli", "-p", "6379", "-a", "xxxxx", "CLIENT", "UNPAUSE"}},
		// URLs: password and credential query values.
		{"url", []string{"curl", "http://admin:PW@h:1/x?token=PW&q=1"}, []string{"curl", "http://admin:xxxxx@h:1/x?token=xxxxx&q=1"}},
		// Assignments and headers with a secret name.
		{"assignment", []string{"env", "PGPASSWORD=PW", "HOME=/root", "psql"}, []string{"env", "PGPASSWORD=xxxxx", "HOME=/root", "psql"}},
		{"header", []string{"curl", "-H", "Authorization: Bearer PW", "-H", "Accept: text/plain"}, []string{"curl", "-H", "Authorization: xxxxx", "-H", "Accept: text/plain"}},
		{"header =", []string{"curl", "--header=X-API-Key: PW"}, []string{"curl", "--header=X-API-Key: xxxxx"}},
		{"env =", []string{"docker", "run", "--env=PGPASSWORD=PW"}, []string{"docker", "run", "--env=PGPASSWORD=xxxxx"}},
		// Nothing secret: unchanged.
		{"plain", []string{"pg_ctl", "-D", "/var/lib/pg", "start", "-w", "--", "-x"}, []string{"pg_ctl", "-D", "/var/lib/pg", "start", "-w", "--", "-x"}},
		{"empty", nil, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Args(c.in)
			if !slices.Equal(got, c.want) {
				t.Errorf("Args(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if again := Args(got); !slices.Equal(again, got) {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
			if len(c.in) > 0 && &got[0] == &c.in[0] {
				t.Error("Args changed its argument in place")
			}
		})
	}
}

// Text hides in free text (a command's output, an error quoting a command
// line) what Args hides in an argument list, and leaves the rest alone.
func TestText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, want string }{
		{"flags", "sh --password=PW --token PW --api-key=PW -x", "sh --password=xxxxx --token xxxxx --api-key=xxxxx -x"},
		{"quoted flag value", `run --secret "P W" then`, `run --secret xxxxx then`},
		{"flag before flag", "--password --verbose", "--password --verbose"},
		{"no- flag", "psql --no-password -h h", "psql --no-password -h h"},
		{"curl user", "curl -u admin:PW --user=root:PW -uadmin:PW http://h/", "curl -u admin:xxxxx --user=root:xxxxx -uadmin:xxxxx http://h/"},
		// A value runs to a space or quote: a ";" after it goes too (better than half a password).
		{"mysql and redis-cli", "mysql -pPW; redis-cli -a PW ping", "mysql -pxxxxx redis-cli -a xxxxx ping"},
		{"url", "GET http://admin:PW@h:1/x?token=PW&q=1 failed", "GET http://admin:xxxxx@h:1/x?token=xxxxx&q=1 failed"},
		{"assignment", "env PGPASSWORD=PW MYSQL_PWD='P W' HOME=/root", "env PGPASSWORD=xxxxx MYSQL_PWD=xxxxx HOME=/root"},
		{"header to end of line", "-H Authorization: Bearer PW\nnext line", "-H Authorization: xxxxx\nnext line"},
		{"json", `{"user": "u", "access_token": "PW", "n": 1}`, `{"user": "u", "access_token": "xxxxx", "n": 1}`},
		// Not credentials.
		{"plain", "exit status 3: no such file /tmp/x (port -p 5432, 12:30)", "exit status 3: no such file /tmp/x (port -p 5432, 12:30)"},
		{"error", "error: connection refused", "error: connection refused"},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Text(c.in)
			if got != c.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if again := Text(got); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

// An argument list shown by Args, joined, is left as it is by Text: an error
// may quote the one and pass the whole through the other.
func TestTextAfterArgs(t *testing.T) {
	t.Parallel()
	argv := []string{"curl", "--password=PW", "-u", "a:PW", "-H", "Authorization: Bearer PW", "http://u:PW@h/?token=PW", "PGPASSWORD=PW"}
	shown := strings.Join(Args(argv), " ")
	if strings.Contains(shown, "PW") {
		t.Fatalf("Args left a secret: %s", shown)
	}
	if got := Text(shown); got != shown {
		t.Errorf("Text changed Args' output:\n%s\n%s", shown, got)
	}
}
