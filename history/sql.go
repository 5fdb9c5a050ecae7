package history

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeFormat is how a SQLite store writes times: UTC with a fixed number
// of digits, so that they sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

// q rewrites a query written with ? placeholders for the store's driver
// (PostgreSQL numbers them: $1, $2…).
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeArg is t as the store's time columns take it.
func (s *Store) timeArg(t time.Time) any {
	if s.pg {
		return t.UTC()
	}
	return t.UTC().Format(timeFormat)
}

// dbTime scans a time column of either store.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		d.t = x.UTC()
		return nil
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	case nil:
		d.t = time.Time{}
		return nil
	}
	return fmt.Errorf("a time column holds %T", v)
}

func (d *dbTime) parse(s string) error {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("a time column holds %q", s)
		}
	}
	d.t = t.UTC()
	return nil
}

// nullFloat is a float column that may be NULL.
func nullFloat(v *float64) driver.Value {
	if v == nil {
		return nil
	}
	return *v
}
