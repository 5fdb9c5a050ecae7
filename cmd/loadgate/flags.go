package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// cmdFlags is a subcommand's flag set and its usage text. `loadgate CMD -h`
// prints the usage (the usage line, what the command does with its
// arguments, the flags with their defaults, grouped) to stdout and exits 0;
// a flag mistake exits 2 with the error and the usage line.
type cmdFlags struct {
	*flag.FlagSet
	name  string
	args  string // the arguments after the flags, e.g. "SCENARIO"
	about string // what the command does, its arguments
	// groups are titled groups of flags printed after the others.
	groups []flagGroup
	// refused are flags of sibling commands that this one does not take,
	// with why (compare --target: "compare runs the reference target itself").
	refused map[string]string
	// inOrder keeps the command line as given: the flags come first and
	// what follows the arguments is not ours (services -- COMMAND ARGS).
	inOrder bool
}

type flagGroup struct {
	title string
	names []string
}

func newFlags(name, args, about string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse prints what is needed, where it belongs
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, name: name, args: args, about: about}
}

// group lists the flags named under a title of their own in the usage.
func (f *cmdFlags) group(title string, names ...string) {
	f.groups = append(f.groups, flagGroup{title: title, names: names})
}

// refuse names a flag this command does not take, with the reason given
// when it is used.
func (f *cmdFlags) refuse(name, why string) {
	if f.refused == nil {
		f.refused = map[string]string{}
	}
	f.refused[name] = why
}

func (f *cmdFlags) usageLine() string {
	line := "usage: loadgate " + f.name
	f.VisitAll(func(*flag.Flag) {
		if !strings.Contains(line, "[flags]") {
			line += " [flags]"
		}
	})
	if f.args != "" {
		line += " " + f.args
	}
	return line
}

// parse parses args (flags may follow the arguments unless inOrder). -h
// prints the usage to stdout and returns an error whose exit code is 0.
func (f *cmdFlags) parse(e env, args []string) error {
	if !f.inOrder {
		args = reorder(f.FlagSet, args)
	}
	for _, name := range flagNames(f.FlagSet, args) {
		if why, ok := f.refused[name]; ok {
			return usageError(fmt.Errorf("--%s does not apply: %s\n%s", name, why, f.usageLine()))
		}
	}
	err := f.FlagSet.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printUsage(e.stdout)
		return usageError(err)
	}
	if err != nil {
		return usageError(fmt.Errorf("%v\n%s ('loadgate %s -h' says more)", err, f.usageLine(), f.name))
	}
	return nil
}

// argsError is a usage error for wrong arguments: why, then the usage line.
func (f *cmdFlags) argsError(why string) error {
	return usageError(fmt.Errorf("%s\n%s ('loadgate %s -h' says more)", why, f.usageLine(), f.name))
}

// printUsage writes the usage line, the command's description and its
// flags: the ungrouped ones first, then each group under its title.
func (f *cmdFlags) printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(f.usageLine() + "\n")
	if f.about != "" {
		b.WriteString("\n" + strings.TrimSpace(f.about) + "\n")
	}
	grouped := map[string]bool{}
	for _, g := range f.groups {
		for _, n := range g.names {
			grouped[n] = true
		}
	}
	var rest []*flag.Flag
	f.VisitAll(func(fl *flag.Flag) {
		if !grouped[fl.Name] {
			rest = append(rest, fl)
		}
	})
	if len(rest) > 0 {
		b.WriteString("\nflags:\n")
		for _, fl := range rest {
			writeFlag(&b, fl)
		}
	}
	for _, g := range f.groups {
		fmt.Fprintf(&b, "\n%s:\n", g.title)
		for _, n := range g.names {
			if fl := f.Lookup(n); fl != nil {
				writeFlag(&b, fl)
			}
		}
	}
	io.WriteString(w, b.String())
}

// writeFlag writes one flag as flag.PrintDefaults does, with two dashes
// (both forms work) and the default when it is not the zero value.
func writeFlag(b *strings.Builder, fl *flag.Flag) {
	kind, usage := flag.UnquoteUsage(fl)
	fmt.Fprintf(b, "  --%s", fl.Name)
	if kind != "" {
		b.WriteString(" " + kind)
	}
	b.WriteString("\n        " + strings.ReplaceAll(usage, "\n", "\n        "))
	switch fl.DefValue {
	case "", "0", "false", "0s", "[]":
	default:
		if kind == "string" {
			fmt.Fprintf(b, " (default %q)", fl.DefValue)
		} else {
			fmt.Fprintf(b, " (default %s)", fl.DefValue)
		}
	}
	b.WriteByte('\n')
}

// reorder moves the flags of args before the positional arguments, so that
// "loadgate run steady --duration 15s" works as the flags-first form does.
// Whether a flag takes the next argument as its value is asked of fs
// (boolean flags take none unless written -flag=value); an unknown flag is
// passed on for Parse to reject. Everything after "--" is positional.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue(fs, name) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), pos...)
}

// takesValue reports whether the flag called name reads a value from the
// next argument.
func takesValue(fs *flag.FlagSet, name string) bool {
	fl := fs.Lookup(name)
	if fl == nil {
		return false
	}
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// flagNames are the names of the flags in args as reorder or Parse read
// them (up to "--" or, in order, the first argument).
func flagNames(fs *flag.FlagSet, args []string) []string {
	var names []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		names = append(names, name)
		if !hasValue && takesValue(fs, name) {
			i++
		}
	}
	return names
}
