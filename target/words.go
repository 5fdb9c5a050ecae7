package target

import (
	"strings"
	"unicode"
)

// stopWords are left out of the words a chat message is searched by.
var stopWords = map[string]bool{
	"about": true, "after": true, "again": true, "also": true, "because": true, "been": true,
	"before": true, "could": true, "does": true, "doing": true, "from": true, "have": true,
	"having": true, "just": true, "like": true, "more": true, "much": true, "should": true,
	"some": true, "that": true, "their": true, "them": true, "then": true, "there": true,
	"these": true, "they": true, "this": true, "today": true, "want": true, "what": true,
	"when": true, "which": true, "while": true, "with": true, "would": true, "your": true,
	"eat": true, "eats": true, "ate": true, "eating": true, "good": true, "many": true, "calories": true,
}

// keywords returns up to n distinct lower-cased words of at least four
// letters from s, in order, without stop words.
func keywords(s string, n int) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) < 4 || stopWords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == n {
			break
		}
	}
	return out
}

// foodWords are the words of a message looked up as foods.
func foodWords(msg string, n int) []string { return keywords(msg, n) }

// orQuery turns a message into a web-search query matching any keyword.
func orQuery(msg string) string { return strings.Join(keywords(msg, 8), " or ") }
