package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
)

// Every string a run, a target or a flag sets (endpoint and scenario
// names, labels, Server-Timing names, warnings, gate expressions, the
// target URL …) is data in every output, escaped for it by one function
// per format:
//
//   - HTML: html/template's contextual escaping. Nothing derived from data
//     is typed template.HTML, template.JS or template.HTMLAttr; the only
//     typed values are the page's own scripts and scriptJSON's output.
//   - JSON inside <script>: scriptJSON.
//   - Markdown (summary.md): mdText.
//   - XML (junit.xml): encoding/xml's encoder, the only writer of the file.
//   - A terminal (the gate table): redact.Terminal, which loadgate's
//     stdout and stderr apply too (redact.TerminalWriter); the table's
//     cells escape line breaks as well.

// scriptJSON encodes v as JSON to stand in a <script type="application/json">
// element: encoding/json writes <, > and & as \u003c, \u003e and \u0026
// (and U+2028, U+2029 escaped), so no data can end the element or open a
// tag in it. The result is typed template.JS so that html/template inserts
// it as it is.
func scriptJSON(v any) (template.JS, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding chart data: %w", err)
	}
	return template.JS(b), nil
}

// mdText makes s plain text in GitHub Flavored Markdown, fit for a table
// cell, a list item, a heading or a paragraph: it shows s as written and
// makes no markup of its own. Line breaks become spaces (a cell, an item,
// a heading is one line). The characters that make inline markup (code,
// emphasis, links, HTML, entities, strikethrough, math, table cells) are
// backslash-escaped, which CommonMark allows for any ASCII punctuation and
// shows as the character itself; GFM honours `\|` also inside code spans.
// So is a leading block marker (heading, quote, list item, setext line),
// since a list item's text starts a block.
func mdText(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' { // CommonMark's line endings
			return ' '
		}
		return r
	}, strings.ReplaceAll(s, "\r\n", "\n")))
	var b strings.Builder
	b.Grow(len(s) + 8)
	digits := 0 // leading digits so far: "1. " or "1) " would start a list
	for i, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<&|~$", r):
			b.WriteByte('\\')
		case i == 0 && strings.ContainsRune("-+=#>", r):
			b.WriteByte('\\')
		case (r == '.' || r == ')') && i > 0 && digits == i && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t'):
			b.WriteByte('\\')
		}
		if r >= '0' && r <= '9' && digits == i {
			digits++
		}
		b.WriteRune(r)
	}
	return b.String()
}
