package redact

// ibanLength holds the IBAN length of each country, indexed by the two
// letters of its code (SWIFT IBAN registry).
var ibanLength = func() (t [26 * 26]uint8) {
	const reg = "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28" +
		"EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27GT28HN28HR21HU28IE22IL23IQ23IS26" +
		"IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28" +
		"NL18NO15OM23PK24PL28PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25" +
		"SV28TL23TN24TR26UA29VA22VG24XK20YE30"
	for i := 0; i+4 <= len(reg); i += 4 {
		t[int(reg[i]-'A')*26+int(reg[i+1]-'A')] = (reg[i+2]-'0')*10 + reg[i+3] - '0'
	}
	return t
}()

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ibanEnd returns the end of an IBAN-shaped string (country code and length; the mod-97 check is not required)
// starting at s[i], compact or printed in groups of four with single spaces,
// or 0. s[i:i+4] is two letters and two digits.
func ibanEnd(s string, i int) int {
	L := int(ibanLength[int(upper(s[i])-'A')*26+int(upper(s[i+1])-'A')])
	if L == 0 {
		return 0
	}
	var buf [34]byte
	n, k := 0, i
	for n < L {
		if k >= len(s) {
			return 0
		}
		c := s[k]
		if c == ' ' && n%4 == 0 && k+1 < len(s) && isAlnum(s[k+1]) {
			k++
			continue
		}
		if !isAlnum(c) {
			return 0
		}
		buf[n] = upper(c)
		n++
		k++
	}
	if k < len(s) && isAlnum(s[k]) {
		return 0
	}
	rem := 0
	for x := 0; x < L; x++ {
		c := buf[(x+4)%L]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	// A mistyped IBAN (wrong check digits) is still an account number in
	// an IBAN's shape, not a card: skip it too.
	_ = rem
	return k
}
