package record

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestSeriesKeysDocumented: docs/CONTRACT.md names every JSON key of the
// named series' types, as run.json (plan.series, plan.charts, plan.queries,
// capacity.json's series) and timeline.json (scrapes) hold them, as
// docs/SCENARIOS.md names every scenario key (package scenarios'
// TestEveryKeyDocumented).
func TestSeriesKeysDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/CONTRACT.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[Series](), reflect.TypeFor[SeriesQuery](), reflect.TypeFor[Matcher](), reflect.TypeFor[Chart](),
		reflect.TypeFor[Scrape](), reflect.TypeFor[Buckets](),
	} {
		for i := range typ.NumField() {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if key == "" || key == "-" {
				continue
			}
			if !strings.Contains(string(doc), "`"+key+"`") {
				t.Errorf("docs/CONTRACT.md does not document %s's `%s`", typ.Name(), key)
			}
		}
	}
	// The keys of the server map that are not series, and where series go.
	for _, key := range []string{ServerRestarts, ServerRSSBytes, "series", "series_notes", "scrapes", "queries", "charts"} {
		if !strings.Contains(string(doc), "`"+key+"`") {
			t.Errorf("docs/CONTRACT.md does not document `%s`", key)
		}
	}
}
