package incidents

import (
	"regexp"
	"strconv"
	"strings"
)

// How people say how much is failing, beyond "30%": a hedge in front
// ("about", "~"), the number as a percentage, a ratio ("3 in 5") or a
// fraction ("half", "two thirds"), number words with a unit ("sixty
// percent", "one in ten"), and a tail that says of what ("of card
// payments", "are failing"), which carries no number.
var (
	reImpactHedge = `(?:(?:about|around|roughly|approx\.?|approximately|almost|nearly|maybe|probably|like|over|under|up to|at least|at most|less than|more than|~|≈|<|>)\s*)?`
	reImpactTail  = `(?:\s+(?:of|in|on|for|across|are|is|were|was|fail\w*|declin\w*|affected|broken|erroring|rejected|timing out|not going through|(?:card )?payments?|transactions?|charges?|orders?|checkouts?|cards?|customers?|users?|requests?|calls?|attempts?|purchases?|sales?|traffic)\b[^0-9%]{0,80})?`

	reImpactPct = regexp.MustCompile(`^` + reImpactHedge +
		`(\d{1,3}(?:[.,]\d+)?)(?:\s*(?:-|–|to)\s*(\d{1,3}(?:[.,]\d+)?))?\s*(%|pct|percent|per cent)?` + reImpactTail + `$`)
	reImpactRatio2 = regexp.MustCompile(`^` + reImpactHedge + `(\d{1,9})\s*(?:in|of|out of|/)\s*(\d{1,9})` + reImpactTail + `$`)
	reImpactFrac   = regexp.MustCompile(`^` + reImpactHedge + `(half|a half|one half|a third|one third|two thirds|a quarter|one quarter|three quarters|a tenth|one tenth)` + reImpactTail + `$`)
)

var fractions = map[string]float64{
	"half": 50, "a half": 50, "one half": 50,
	"a third": 100.0 / 3, "one third": 100.0 / 3, "two thirds": 200.0 / 3,
	"a quarter": 25, "one quarter": 25, "three quarters": 75,
	"a tenth": 10, "one tenth": 10,
}

var (
	unitWords = map[string]int{"zero": 0, "one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
		"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
		"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
	tensWords = map[string]int{"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
)

// wordsToNumber reads "sixty", "twenty five", "twenty-five", "one
// hundred" or "a hundred" (0 to 100); ok is false for anything else.
func wordsToNumber(s string) (int, bool) {
	ws := strings.Fields(strings.ReplaceAll(s, "-", " "))
	switch {
	case len(ws) == 1 && ws[0] == "hundred":
		return 100, true
	case len(ws) == 2 && ws[1] == "hundred" && (ws[0] == "one" || ws[0] == "a"):
		return 100, true
	case len(ws) == 1 && ws[0] != "a":
		if n, ok := unitWords[ws[0]]; ok {
			return n, true
		}
		n, ok := tensWords[ws[0]]
		return n, ok
	case len(ws) == 2:
		t, ok1 := tensWords[ws[0]]
		u, ok2 := unitWords[ws[1]]
		if ok1 && ok2 && u > 0 && u < 10 && ws[1] != "a" {
			return t + u, true
		}
	}
	return 0, false
}

var reWordHyphen = regexp.MustCompile(`([a-z])-([a-z])`)

// numberWordsToDigits rewrites number words as digits where a unit
// follows ("sixty percent", "one in ten") or where they end a ratio
// ("1 in ten"); other text is returned unchanged.
func numberWordsToDigits(t string) string {
	ws := strings.Fields(reWordHyphen.ReplaceAllString(t, "$1 $2"))
	var out []string
	for i := 0; i < len(ws); {
		matched := false
		for k := min(3, len(ws)-i); k >= 1 && !matched; k-- {
			n, ok := wordsToNumber(strings.Join(ws[i:i+k], " "))
			if !ok {
				continue
			}
			next := ""
			if i+k < len(ws) {
				next = ws[i+k]
			}
			unitAfter := strings.HasPrefix(next, "%") || next == "percent" || next == "pct" || next == "per" || next == "in" || next == "out"
			o := len(out)
			ratioEnd := (o >= 2 && out[o-1] == "in" && isDigits(out[o-2])) ||
				(o >= 3 && out[o-1] == "of" && out[o-2] == "out" && isDigits(out[o-3]))
			if unitAfter || ratioEnd {
				out = append(out, strconv.Itoa(n))
				i += k
				matched = true
			}
		}
		if !matched {
			out = append(out, ws[i])
			i++
		}
	}
	return strings.Join(out, " ")
}

// readShare reads a share of traffic in percent from normalised text
// (lower case, single spaces). ok is false when the text is not a share;
// err explains a share that makes no sense (a ratio above 1, a bad range).
func readShare(t string) (p float64, ok bool, err *AnswerError) {
	t = strings.ReplaceAll(t, "~", "~ ")
	t = strings.Join(strings.Fields(t), " ")
	if m := reImpactFrac.FindStringSubmatch(t); m != nil {
		return fractions[m[1]], true, nil
	}
	t = numberWordsToDigits(t)
	if m := reImpactRatio2.FindStringSubmatch(t); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		d, _ := strconv.ParseFloat(m[2], 64)
		if d == 0 || n > d {
			return 0, true, &AnswerError{Reason: "That ratio does not add up.", Example: impactExample}
		}
		return 100 * n / d, true, nil
	}
	m := reImpactPct.FindStringSubmatch(t)
	if m == nil {
		return 0, false, nil
	}
	p, perr := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
	if perr != nil {
		return 0, true, &AnswerError{Reason: "I could not read that number.", Example: impactExample}
	}
	if m[2] != "" {
		hi, herr := strconv.ParseFloat(strings.Replace(m[2], ",", ".", 1), 64)
		if herr != nil || hi < p {
			return 0, true, &AnswerError{Reason: "I could not read that range.", Example: "20-30%"}
		}
		p = hi
	}
	return p, true, nil
}
