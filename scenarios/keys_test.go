package scenarios

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestEveryKeyDocumented: docs/SCENARIOS.md names every key of the format
// by its full path (`flows[].steps[].check[].json`, `data.<name>.csv`).
func TestEveryKeyDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/SCENARIOS.md")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	keyPaths(reflect.TypeFor[Scenario](), "", &keys)
	if len(keys) < 90 {
		t.Fatalf("only %d keys found: the walk misses some", len(keys))
	}
	for _, k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("docs/SCENARIOS.md does not document `%s`", k)
		}
	}
}

// placeholders name the map keys of the format in the docs.
var placeholders = map[string]string{"data": "<name>", "extract": "<var>", "series": "<name>"}

func keyPaths(t reflect.Type, prefix string, out *[]string) {
	unmarshaler := reflect.TypeFor[yaml.Unmarshaler]()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		path := prefix + name
		*out = append(*out, path)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if reflect.PointerTo(ft).Implements(unmarshaler) {
			continue // a scalar written as text: Duration, Think, StatusSet…
		}
		switch ft.Kind() {
		case reflect.Struct:
			keyPaths(ft, path+".", out)
		case reflect.Slice:
			if el := ft.Elem(); el.Kind() == reflect.Struct && !reflect.PointerTo(el).Implements(unmarshaler) {
				keyPaths(el, path+"[].", out)
			}
		case reflect.Map:
			if el := ft.Elem(); el.Kind() == reflect.Struct {
				keyPaths(el, path+"."+placeholders[name]+".", out)
			}
		}
	}
}
