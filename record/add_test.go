package record

import (
	"reflect"
	"slices"
	"testing"
)

// notSums are the fields of the types Merge adds that Add does not sum,
// each with why. Every other field must be a number, a struct of them or a
// map of them, and Add must sum it: a field added to these types later
// fails TestAddSumsEveryCount until Add sums it or it is listed here.
var notSums = map[string]string{
	"Stats.ErrorRate":               "a ratio: Merge computes it again from the summed counts",
	"Stats.LatencyUS":               "a summary: Merge computes it again from the added histograms",
	"Stats.ServiceTimeUS":           "a summary: Merge computes it again from the added histograms",
	"Stats.LatencyOKUS":             "a summary: Merge computes it again from the added histograms",
	"Stats.LatencyFailedUS":         "a summary: Merge computes it again from the added histograms",
	"Stats.ServiceTimeOKUS":         "a summary: Merge computes it again from the added histograms",
	"Stats.ServiceTimeFailedUS":     "a summary: Merge computes it again from the added histograms",
	"FlowStats.Steps":               "the flow's step names, the same in every shard",
	"Generator.SendLag":             "lags do not add: the worse shard's at each percentile (TestGeneratorAddKeepsTheWorseLag)",
	"Stage.StartS":                  "the plan's schedule, the same in every shard",
	"Stream.Goodput":                "a ratio: Merge computes it again from the summed counts",
	"Stream.TTFTUS":                 "a summary: Merge computes it again from the added stream.hlog",
	"Stream.TTFTServiceUS":          "a summary: Merge computes it again from the added stream.hlog",
	"Stream.TTFBUS":                 "a summary: Merge computes it again from the added stream.hlog",
	"Stream.ITLUS":                  "a summary: Merge computes it again from the added stream.hlog",
	"Stream.TPOTUS":                 "a summary: Merge computes it again from the added stream.hlog",
	"Stream.E2EUS":                  "a summary: Merge computes it again from the added stream.hlog",
	"Stream.OutputTokensPerRequest": "a summary: Merge computes it again from the added stream.hlog",
	"Stage.DurationS":               "the plan's schedule, the same in every shard",
	"Point.T":                       "the interval's time, the same in every shard",
	"Point.Warmup":                  "the interval's phase, the same in every shard",
	"Point.Server":                  "the target's figures: scraped ones are one shard's, Server-Timing means are weighted by counts (Merge)",
}

// TestAddSumsEveryCount fills every number of two values of each type Merge
// adds (maps with a key of their own each and one in common) with distinct
// numbers, adds them, and checks that every number is the sum, also when
// the first value is zero (its maps nil).
func TestAddSumsEveryCount(t *testing.T) {
	t.Parallel()
	adders := []struct {
		typ reflect.Type
		add func(a, b any) any // a + b, a as given by pointer
	}{
		{reflect.TypeFor[Stats](), func(a, b any) any { a.(*Stats).Add(*b.(*Stats)); return a }},
		{reflect.TypeFor[Point](), func(a, b any) any { a.(*Point).Add(*b.(*Point)); return a }},
		{reflect.TypeFor[FlowStats](), func(a, b any) any { a.(*FlowStats).Add(*b.(*FlowStats)); return a }},
		{reflect.TypeFor[Generator](), func(a, b any) any { a.(*Generator).Add(*b.(*Generator)); return a }},
		{reflect.TypeFor[Stage](), func(a, b any) any { a.(*Stage).Add(*b.(*Stage)); return a }},
		{reflect.TypeFor[Stream](), func(a, b any) any { a.(*Stream).Add(*b.(*Stream)); return a }},
	}
	used := map[string]bool{}
	for _, ad := range adders {
		t.Run(ad.typ.Name(), func(t *testing.T) {
			fill := func(first float64, keys ...string) reflect.Value {
				v := reflect.New(ad.typ)
				n := first
				fillNumbers(v.Elem(), &n, keys)
				return v
			}
			a, b := fill(1, "a", "both"), fill(1000, "b", "both")
			got := reflect.ValueOf(ad.add(fill(1, "a", "both").Interface(), b.Interface())).Elem()
			checkSums(t, ad.typ.Name(), got, a.Elem(), b.Elem(), used)
			// Added to a zero value, b comes out whole.
			zero := reflect.New(ad.typ)
			got = reflect.ValueOf(ad.add(zero.Interface(), b.Interface())).Elem()
			checkSums(t, ad.typ.Name(), got, reflect.New(ad.typ).Elem(), b.Elem(), nil)
		})
	}
	for field := range notSums {
		if !used[field] {
			t.Errorf("notSums lists %s, which no type Merge adds has", field)
		}
	}
}

// fillNumbers gives every number under v the next value of *n, and every
// map of numbers or structs of them the given keys.
func fillNumbers(v reflect.Value, n *float64, keys []string) {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
		*n++
	case reflect.Float64:
		v.SetFloat(*n)
		*n++
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillNumbers(v.Field(i), n, keys)
			}
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(v.Type().Elem()))
			fillNumbers(v.Elem(), n, keys)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, k := range keys {
			e := reflect.New(v.Type().Elem()).Elem()
			fillNumbers(e, n, keys)
			m.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(m)
	}
}

// checkSums checks that every number under got is the sum of those under a
// and b (a missing map key counts as zero), path naming where. A field of
// another kind, or one that cannot be checked, must be in notSums; used
// notes the notSums entries met.
func checkSums(t *testing.T, path string, got, a, b reflect.Value, used map[string]bool) {
	t.Helper()
	switch got.Kind() {
	case reflect.Int, reflect.Int64:
		if got.Int() != a.Int()+b.Int() {
			t.Errorf("%s = %d after Add, want %d + %d: Add does not sum it (sum it, or list it in notSums with why)", path, got.Int(), a.Int(), b.Int())
		}
	case reflect.Float64:
		if got.Float() != a.Float()+b.Float() {
			t.Errorf("%s = %v after Add, want %v + %v: Add does not sum it (sum it, or list it in notSums with why)", path, got.Float(), a.Float(), b.Float())
		}
	case reflect.Struct:
		typ := got.Type()
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := typ.Name() + "." + f.Name
			if _, exempt := notSums[name]; exempt {
				if used != nil {
					used[name] = true
				}
				continue
			}
			if !f.IsExported() {
				t.Errorf("%s.%s (%s) is unexported: Add's test cannot check it", path, f.Name, name)
				continue
			}
			checkSums(t, path+"."+f.Name, got.Field(i), a.Field(i), b.Field(i), used)
		}
	case reflect.Pointer:
		// A pointer to a struct of counts: nil counts as zero.
		elem := func(p reflect.Value) reflect.Value {
			if p.IsNil() {
				return reflect.New(p.Type().Elem()).Elem()
			}
			return p.Elem()
		}
		if got.Type().Elem().Kind() != reflect.Struct {
			t.Errorf("%s is a pointer to %s: Add's test cannot sum it; list it in notSums with why Add leaves it", path, got.Type().Elem())
			return
		}
		checkSums(t, path, elem(got), elem(a), elem(b), used)
	case reflect.Map:
		if got.Type().Key().Kind() != reflect.String {
			t.Errorf("%s is a map keyed by %s: Add's test cannot check it", path, got.Type().Key())
			return
		}
		keys := map[string]bool{}
		for _, m := range []reflect.Value{got, a, b} {
			for _, k := range m.MapKeys() {
				keys[k.String()] = true
			}
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			key := reflect.ValueOf(k)
			at := func(m reflect.Value) reflect.Value {
				if e := m.MapIndex(key); e.IsValid() {
					return e
				}
				return reflect.New(m.Type().Elem()).Elem()
			}
			checkSums(t, path+"["+k+"]", at(got), at(a), at(b), used)
		}
	default:
		t.Errorf("%s is a %s: Add's test cannot sum it; list it in notSums with why Add leaves it", path, got.Kind())
	}
}

// TestGeneratorAddKeepsTheWorseLag: the send lag of shards added is the
// worse shard's at each percentile.
func TestGeneratorAddKeepsTheWorseLag(t *testing.T) {
	t.Parallel()
	g := Generator{SendLag: Latency{Min: 1, Mean: 9, P50: 3, P90: 9, P95: 9, P99: 9, P999: 9, Max: 9}}
	g.Add(Generator{SendLag: Latency{Min: 2, Mean: 4, P50: 5, P90: 6, P95: 7, P99: 8, P999: 10, Max: 11}})
	if want := (Latency{Min: 2, Mean: 9, P50: 5, P90: 9, P95: 9, P99: 9, P999: 10, Max: 11}); g.SendLag != want {
		t.Errorf("send lag %+v, want %+v", g.SendLag, want)
	}
}
