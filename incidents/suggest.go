package incidents

import (
	"strings"
	"unicode/utf8"
)

// EditDistance is the Damerau-Levenshtein distance of a and b in its
// optimal-string-alignment form, counted in runes: inserting, deleting or
// changing a letter, or swapping two adjacent letters, each costs 1.
// "stauts" is 1 from "status", "strpe" 1 from "stripe", "card" 2 from "case".
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	n, m := len(ra), len(rb)
	d := make([][]int, n+1)
	for i := range d {
		d[i] = make([]int, m+1)
		d[i][0] = i
	}
	for j := 0; j <= m; j++ {
		d[0][j] = j
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[n][m]
}

// Nearest returns the option closest to word (case and punctuation
// ignored) when it is a plausible misspelling: at most 1 edit for words of
// up to 4 letters, at most 2 for longer ones, and never more than a third
// of the word. It returns "" when nothing is that close, or when word is
// itself an option.
func Nearest(word string, options []string) string {
	w := normKey(word)
	if w == "" {
		return ""
	}
	limit := 2
	if n := utf8.RuneCountInString(w); n <= 4 {
		limit = 1
	} else if n/3 < limit {
		limit = max(1, n/3)
	}
	best, bestDist := "", limit+1
	for _, o := range options {
		k := normKey(o)
		if k == w {
			return ""
		}
		if d := EditDistance(w, k); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean is ", did you mean X?" when word is a near miss of an
// option, else "".
func didYouMean(word string, options []string) string {
	if n := Nearest(word, options); n != "" {
		return ", did you mean " + n + "?"
	}
	return ""
}

// andList joins items as "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
