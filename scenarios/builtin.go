package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Names lists the built-in scenarios, sorted.
func Names() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil // cannot happen: the directory is embedded
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

func isBuiltin(name string) bool {
	_, err := fs.Stat(builtinFS, path.Join("builtin", name+".yaml"))
	return err == nil
}

// Builtin loads the embedded scenario name (see Names), with ${VAR} expanded
// from the environment like a file.
func Builtin(name string, opts ...Options) (*Scenario, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse(data, "builtin:"+name, "", opts...)
}

// BuiltinSource returns the YAML text of a built-in scenario, for users who
// want to copy and adapt it.
func BuiltinSource(name string) ([]byte, error) {
	data, err := builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no built-in scenario %q (built-in: %s; or give a YAML file path)", name, strings.Join(Names(), ", "))
	}
	return data, nil
}
