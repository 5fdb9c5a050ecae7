package agent

import "unicode"

// Tokens splits text into the sim's tokens: each word with the white space
// that follows it (white space before the first word goes with that word),
// so that the tokens joined are text again. Text without a word has no
// tokens. It is the unit of the sim's stream and of its usage counts.
func Tokens(text string) []string {
	toks := make([]string, 0, CountTokens(text))
	start, inWord, seen := 0, false, false
	for i, r := range text {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			// A word starts at i; the token before it, if any, ends here.
			if seen {
				toks = append(toks, text[start:i])
				start = i
			}
			seen = true
		}
		inWord = !space
	}
	if seen {
		toks = append(toks, text[start:])
	}
	return toks
}

// CountTokens is len(Tokens(text)) without building them: the number of
// words (runs of characters that are not white space).
func CountTokens(text string) int {
	n, inWord := 0, false
	for _, r := range text {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}
