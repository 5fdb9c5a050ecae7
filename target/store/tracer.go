package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every statement of the store starts with a comment naming it,
// "/*q:history*/ SELECT …": the name the query-time metrics are labelled
// with, and what pg_stat_activity shows next to a slow statement.
const namePrefix = "/*q:"

// QueryName is the name a statement's leading /*q:NAME*/ comment gives it;
// pgx's transaction statements are "tx", anything else "other".
func QueryName(sql string) string {
	if rest, ok := strings.CutPrefix(sql, namePrefix); ok {
		if name, _, ok := strings.Cut(rest, "*/"); ok && name != "" {
			return name
		}
	}
	switch sql {
	case "begin", "commit", "rollback":
		return "tx"
	}
	return "other"
}

// Tracer is a pgx.QueryTracer that times every statement, from sending it to
// reading its last row, and hands the time to Observe with the statement's
// QueryName. Set it as the pool's ConnConfig.Tracer.
type Tracer struct {
	Observe func(query string, d time.Duration)
}

type traceKey struct{}

type traceStart struct {
	name string
	at   time.Time
}

// TraceQueryStart notes the statement's name and start time.
func (t Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{name: QueryName(data.SQL), at: time.Now()})
}

// TraceQueryEnd observes the statement's time, failed statements included.
func (t Tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if st, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.Observe(st.name, time.Since(st.at))
	}
}
