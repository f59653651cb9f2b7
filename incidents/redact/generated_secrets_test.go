package redact

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
)

// Generated secrets and CVVs (issue 9): each generator returns the text and
// the value that must not survive redaction.

func randFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.Intn(len(alphabet))]
	}
	return string(b)
}

const (
	lowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"
	alnumChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

// mixedValue is a random credential with at least one letter and digit.
func mixedValue(rng *rand.Rand, n int) string {
	return randFrom(rng, "abcdefghjkmnpqrstuvwxyz", 1) + randFrom(rng, alnumChars, n-2) + randFrom(rng, "0123456789", 1)
}

var secretGens = []func(*rand.Rand) (text, secret string){
	func(r *rand.Rand) (string, string) { // CVV in words
		v := randDigits(r, 3+r.Intn(2))
		tmpl := []string{"the 3 digits on the back are %s", "security code: %s", "cvc2 %s", "CVV is %s",
			"cvv=%s", "three digit code %s", "number on the back of the card is %s", "CVC: %s, exp 12/27",
			"card verification value %s", "the code on the back: %s"}[r.Intn(10)]
		return fmt.Sprintf(tmpl, v), v
	},
	func(r *rand.Rand) (string, string) { // HTTP authorization, any scheme
		user, pass := randFrom(r, lowerDigits, 6), mixedValue(r, 10)
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		switch r.Intn(6) {
		case 0:
			return "Authorization: Basic " + basic, basic
		case 1:
			return "curl -H 'Authorization: Basic " + basic + "' https://api.example.com", basic
		case 2:
			v := randFrom(r, "0123456789abcdef", 32)
			return `Authorization: Digest username="` + user + `", realm="api", response="` + v + `"`, v
		case 3:
			v := mixedValue(r, 24)
			return "authorization: token " + v, v
		case 4:
			v := mixedValue(r, 20)
			return `{"headers":{"Authorization":"HMAC ` + v + `"}}`, v
		default:
			return "curl -u " + user + ":" + pass + " https://api.example.com/v1", pass
		}
	},
	func(r *rand.Rand) (string, string) { // cloud and platform keys
		switch r.Intn(9) {
		case 0:
			v := []string{"AKIA", "ASIA"}[r.Intn(2)] + randFrom(r, upperDigits, 16)
			return "aws_access_key_id=" + v, v
		case 1:
			v := mixedValue(r, 40)
			return "aws_secret_access_key = " + v, v
		case 2:
			v := "AIza" + randFrom(r, alnumChars+"-_", 35)
			return "maps key " + v + " leaked", v
		case 3:
			v := "ghp_" + randFrom(r, alnumChars, 36)
			return "GITHUB_TOKEN=" + v, v
		case 4:
			v := base64.StdEncoding.EncodeToString([]byte(randFrom(r, alnumChars, 64)))
			return "DefaultEndpointsProtocol=https;AccountName=pay;AccountKey=" + v + ";EndpointSuffix=core.windows.net", v
		case 5:
			v := "xox" + []string{"b", "p", "a", "c"}[r.Intn(4)] + "-" + randDigits(r, 11) + "-" + randFrom(r, alnumChars, 24)
			return "SLACK_TOKEN " + v, v
		case 6:
			v := []string{"sk_live_", "rk_live_", "sk_test_", "whsec_"}[r.Intn(4)] + randFrom(r, alnumChars, 24)
			return "stripe: " + v, v
		case 7:
			v := "access_token$production$" + randFrom(r, lowerDigits, 16) + "$" + randFrom(r, "0123456789abcdef", 32)
			return "braintree " + v, v
		default:
			v := "AQE" + randFrom(r, alnumChars+"+/", 60)
			return "X-API-Key: " + v, v
		}
	},
	func(r *rand.Rand) (string, string) { // key=value, JSON, YAML, header
		name := []string{"password", "passwd", "secret", "api_key", "apikey", "client_secret", "token",
			"access_token", "private_key", "PASSWORD", "Api-Key", "X-Auth-Token"}[r.Intn(12)]
		v := mixedValue(r, 12+r.Intn(20))
		switch r.Intn(4) {
		case 0:
			return name + "=" + v + " in .env", v
		case 1:
			return `{"` + name + `": "` + v + `", "user": "ops"}`, v
		case 2:
			return "config:\n  " + name + ": " + v + "\n  host: db", v
		default:
			return name + ": " + v, v
		}
	},
	func(r *rand.Rand) (string, string) { // credentials in URLs
		v := mixedValue(r, 10+r.Intn(20))
		switch r.Intn(3) {
		case 0:
			return "https://admin:" + v + "@payments.internal/api", v
		case 1:
			p := []string{"token", "key", "access_token", "sig", "api_key"}[r.Intn(5)]
			return "callback https://hooks.example.com/cb?id=12&" + p + "=" + v + "&x=1", v
		default:
			return "postgres://paybot:" + v + "@db:5432/paybot?sslmode=disable", v
		}
	},
}

// secretPositive returns a text holding a secret or CVV and that value.
func secretPositive(rng *rand.Rand) (string, string) {
	return secretGens[rng.Intn(len(secretGens))](rng)
}

// Hard negatives added by issue 9: numbers and words that look like the
// new forms but are not secrets.
var negClassesIssue9 = []negClass{
	{"ms timestamp after card words", func(r *rand.Rand) string {
		ms := 1500000000000 + r.Int63n(400000000000)
		return fmt.Sprintf("%s %d", []string{"card_declined", "card", "pan", "cc", "visa", "credit card at"}[r.Intn(6)], ms)
	}},
	{"ids with dots, slashes, underscores", func(r *rand.Rand) string {
		switch r.Intn(5) {
		case 0:
			return fmt.Sprintf("order %s.%s.%s", randDigits(r, 3), randDigits(r, 3), randDigits(r, 3))
		case 1:
			return fmt.Sprintf("batch_%d_%s", 2020+r.Intn(6), randDigits(r, 8))
		case 2:
			return fmt.Sprintf("tracking %s/%s/%s", randDigits(r, 3), randDigits(r, 3), randDigits(r, 4))
		case 3:
			return fmt.Sprintf("v%d.%d.%d build %s", r.Intn(9), r.Intn(20), r.Intn(99), randDigits(r, 6))
		default:
			return fmt.Sprintf("ip 10.%d.%d.%d:%d", r.Intn(256), r.Intn(256), r.Intn(256), 1024+r.Intn(60000))
		}
	}},
	{"phones with dots and slashes", func(r *rand.Rand) string {
		switch r.Intn(3) {
		case 0:
			return fmt.Sprintf("+1.%s.%s.%s", randDigits(r, 3), randDigits(r, 3), randDigits(r, 4))
		case 1:
			return fmt.Sprintf("tel 0%s/%s %s", randDigits(r, 3), randDigits(r, 3), randDigits(r, 4))
		default:
			return fmt.Sprintf("+44 (0) %s %s", randDigits(r, 4), randDigits(r, 6))
		}
	}},
	{"iban-like, not valid", func(r *rand.Rand) string {
		s := iban(r)
		return "acct " + s[:2] + "00" + s[4:]
	}},
	{"secret words in prose", func(r *rand.Rand) string {
		return []string{
			"the password reset mail never arrived for order %d",
			"authorization failed %d times, issuer timeout",
			"token expired after %d seconds",
			"we got back %d declines from the issuer",
			"Basic plan customers: %d affected",
			"the secret is to retry after %d ms",
			"api key rotation scheduled in %d days",
			"https://status.example.com/incidents?page=%d",
			"see https://docs.example.com/errors#code-%d",
		}[r.Intn(9)]
	}},
}

func init() {
	for i := range negClassesIssue9 {
		g := negClassesIssue9[i].gen
		if strings.Contains(negClassesIssue9[i].name, "prose") {
			negClassesIssue9[i].gen = func(r *rand.Rand) string { return fmt.Sprintf(g(r), r.Intn(100000)) }
		}
	}
	negClasses = append(negClasses, negClassesIssue9...)
}
