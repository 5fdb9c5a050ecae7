package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder turns a YAML node tree into Go values strictly: unknown keys, wrong
// kinds and bad scalars are problems with their position and field path.
// Every scalar value has ${VAR} expanded before it is decoded.
type decoder struct {
	lookup func(string) (string, bool)
	probs  *problems
	pos    map[string]Pos
	// budget bounds the nodes visited through aliases, so that they cannot
	// make a small document expand without end ("billion laughs"); nodes
	// written out cost nothing, however many.
	budget int
	// aliased counts the aliases the current node was reached through.
	aliased int
	depth   int
	// env holds, by field path, the string values that had ${VAR}
	// expanded: what may be shown of them and the environment's values.
	env map[string]expanded
}

// Bounds on a document: the values reached through aliases, and nesting.
const (
	maxNodes = 100_000
	maxDepth = 64
)

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// shorthand is a struct that may also be written as one scalar, which
// fills the field whose yaml name is shorthandField.
type shorthand interface{ shorthandField() string }

// yamlLine finds the line number in yaml.v3's syntax error text.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse decodes one scenario document; a second document in the source is a
// problem (it would be ignored).
func parse(data []byte, lookup func(string) (string, bool)) (*Scenario, *problems) {
	probs := &problems{}
	data, bad := asUTF8(data)
	if bad != nil {
		probs.add(bad.Pos, "", "%v", bad)
		return nil, probs
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		probs.syntax(err)
		return nil, probs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		probs.add(Pos{}, "", "empty scenario")
		return nil, probs
	}
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		probs.syntax(err)
		return nil, probs
	default:
		probs.add(Pos{Line: next.Line, Column: next.Column}, "",
			"a second YAML document starts here: a scenario file holds one scenario (remove the ---)")
		return nil, probs
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		probs.add(Pos{Line: root.Line, Column: root.Column}, "", "a scenario is a mapping with name, target, load and requests")
		return nil, probs
	}
	d := &decoder{lookup: lookup, probs: probs, pos: map[string]Pos{}, budget: maxNodes, env: map[string]expanded{}}
	sc := &Scenario{}
	d.decode(root, reflect.ValueOf(sc).Elem(), "")
	sc.pos = d.pos
	markEnv(sc, d.env)
	return sc, probs
}

// syntax adds yaml's error, at its line when it names one.
func (ps *problems) syntax(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		ps.add(Pos{Line: line, Column: 1}, "", "%s", m[2])
		return
	}
	ps.add(Pos{}, "", "%s", strings.TrimPrefix(msg, "yaml: "))
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		d.aliased++
		defer func() { d.aliased-- }()
	}
	pos := Pos{Line: n.Line, Column: n.Column}
	if d.aliased > 0 {
		d.budget--
		if d.budget == 0 {
			d.probs.add(pos, path, "document too large once aliases are expanded (more than %d values reached through aliases)", maxNodes)
			d.probs.fatal = true
		}
	}
	if d.budget <= 0 {
		return
	}
	if d.depth >= maxDepth {
		d.probs.add(pos, path, "nested too deep")
		d.probs.fatal = true
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	d.pos[path] = pos
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if n.Kind == yaml.ScalarNode {
			expanded, err := expandEnv(n.Value, d.lookup)
			if err != nil {
				d.probs.add(pos, path, "%v", err)
				return
			}
			cp := *n
			cp.Value = expanded
			n = &cp
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.probs.add(pos, path, "%v", err)
		}
		return
	}
	if n.Kind == yaml.ScalarNode && v.Kind() == reflect.Struct && v.CanAddr() {
		if sh, ok := v.Addr().Interface().(shorthand); ok {
			// A scalar written where a mapping may be: the one field it
			// stands for (a gate's expression).
			d.depth--
			d.decode(n, v.Field(fieldIndex(v.Type())[sh.shorthandField()]), path)
			d.depth++
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		// An optional field: present (even when zero) or nil.
		elem := reflect.New(v.Type().Elem())
		d.depth--
		d.budget++
		d.decode(n, elem.Elem(), path)
		d.depth++
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.probs.add(Pos{n.Line, n.Column}, path, "want a mapping of %s", strings.Join(fieldNames(v.Type()), ", "))
		return
	}
	fields := fieldIndex(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		field := join(path, key)
		if seen[key] {
			d.probs.add(Pos{k.Line, k.Column}, field, "written twice")
			continue
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			d.probs.add(Pos{k.Line, k.Column}, field, "unknown field %q (known: %s)", key, strings.Join(fieldNames(v.Type()), ", "))
			continue
		}
		d.decode(val, v.Field(idx), field)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.probs.add(Pos{n.Line, n.Column}, path, "want a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		if v.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.probs.add(Pos{k.Line, k.Column}, field, "written twice")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, field)
		v.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.probs.add(Pos{n.Line, n.Column}, path, "want a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	pos := Pos{n.Line, n.Column}
	if n.Kind != yaml.ScalarNode {
		d.probs.add(pos, path, "want a single value, not a %s", kindName(n.Kind))
		return
	}
	x, err := expandEnvShown(n.Value, d.lookup)
	if err != nil {
		d.probs.add(pos, path, "%v", err)
		return
	}
	s := x.value
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
		if x.shown != x.value || len(x.env) > 0 {
			d.env[path] = x
		}
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			d.probs.add(pos, path, "want an integer, got %q", s)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.probs.add(pos, path, "want a number, got %q", s)
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			d.probs.add(pos, path, "want true or false, got %q", s)
			return
		}
		v.SetBool(b)
	default:
		d.probs.add(pos, path, "%v", errors.New("unsupported field type "+v.Type().String()))
	}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "document"
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldIndex maps yaml keys to struct field indexes.
func fieldIndex(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}
