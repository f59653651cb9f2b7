package redact

import (
	"strings"
	"testing"
	"unsafe"
)

const m = "•••• •••• •••• " // card mask prefix

func TestRedact(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		kinds string // comma-separated finding kinds
		label string // label of the first finding, if set
	}{
		// cards: formats
		{"visa plain", "paid with 4242424242424242 yesterday", "paid with " + m + "4242 yesterday", "card", "Visa card ending 4242"},
		{"visa spaces", "4242 4242 4242 4242", m + "4242", "card", "Visa card ending 4242"},
		{"visa dashes", "4242-4242-4242-4242", m + "4242", "card", ""},
		{"nbsp", "4242\u00a04242\u00a04242\u00a04242", m + "4242", "card", ""},
		{"amex grouped", "Amex 3782 822463 10005 declined", "Amex " + m + "0005 declined", "card", "American Express card ending 0005"},
		{"amex plain", "378282246310005", m + "0005", "card", ""},
		{"diners 14", "3056 930902 5904", m + "5904", "card", "Diners Club card ending 5904"},
		{"mastercard 2-series", "2223003122003222", m + "3222", "card", "Mastercard card ending 3222"},
		{"mastercard", "5555 5555 5555 4444.", m + "4444.", "card", ""},
		{"discover", "6011111111111117", m + "1117", "card", "Discover card ending 1117"},
		{"jcb", "3566002020360505", m + "0505", "card", "JCB card ending 0505"},
		{"unionpay 19", "6212345678901265 and 6250941006528599", m + "1265 and " + m + "8599", "card,card", ""},
		{"unionpay 19 grouped", "6212 3456 7890 1234 569", m + "4569", "card", ""},
		{"visa 19", "4111 1111 1111 1111 003", m + "1003", "card", ""},
		{"visa 13", "4222222222222", m + "2222", "card", ""},
		{"mir", "2201382000000013", m + "0013", "card", "Mir card ending 0013"},
		{"maestro", "6759649826438453", m + "8453", "card", "Maestro card ending 8453"},
		{"after card:", "card:4000056655665556", "card:" + m + "5556", "card", ""},
		{"json", `{"pan":"5105105105105100"}`, `{"pan":"` + m + `5100"}`, "card", ""},
		{"glued to letters", "ORD4242424242424242", "ORD" + m + "4242", "card", ""},
		{"followed by expiry", "4242 4242 4242 4242 12/27 cvv 123", m + "4242 ••/•• cvv •••", "card,card,cvv", ""},
		{"grouped after date", "2024-05-12 4242 4242 4242 4242", "2024-05-12 " + m + "4242", "card", ""},
		{"two cards", "4242424242424242, 5555555555554444", m + "4242, " + m + "4444", "card,card", ""},
		// A context word never makes a card of a number outside the brands'
		// ranges and lengths (issue 9: "card_declined 1764489612341").
		{"context any range", "card 9792123412341235", "", "", ""},
		{"context plus", "pan +4242424242422", "", "", ""},
		{"ms timestamp after card word", "card_declined 1764489612341", "", "", ""},
		{"context 5x4", "card 4242 4242 4242 4242 1234", "card " + m + "4242 ••/••", "card,card", ""},

		// cards: not cards
		{"20 digits", "ref 42424242424242424242", "", "", ""},
		{"luhn-invalid", "4242424242424241", "", "", ""},
		{"visa wrong length", "424242424242426", "", "", ""}, // 15-digit, Luhn-valid
		{"ms timestamp", "at 1715523802123 ms", "", "", ""},
		{"phone", "+4242424242422 or +44 7911 123456", "", "", ""},
		{"fraction", "score=0.4242424242424242", "", "", ""},
		{"iban grouped", "IBAN DE89 3704 0044 0532 0130 00", "", "", ""},
		{"iban compact", "GB82WEST12345698765432 and BE68539007547034", "", "", ""},
		{"iban FR", "FR14 2004 1010 0505 0001 3M02 606", "", "", ""},
		{"uuid", "req 550e8400-e29b-41d4-a716-446655440000", "", "", ""},
		{"five groups of four", "ref 4242 4242 4242 4242 4242", "ref " + m + "4242 •••", "card,cvv", ""},
		{"year before card", "since 2024 4111 1111 1111 1111 declined", "since 2024 " + m + "1111 declined", "card", ""},
		// A run of groups of four holds a card wherever four of them make
		// one: two cards back to back, a card then its expiry and CVC.
		{"six groups of four", "ref 4242 4242 4242 4242 4242 4242", "ref " + m + "4242 4242 4242", "card", ""},
		{"card beside more groups", "ids 4111 1111 1111 1111 2222 3333", "ids " + m + "1111 2222 3333", "card", ""},
		{"two cards in a row", "4111 1111 1111 1111 4242 4242 4242 4242", m + "1111 " + m + "4242", "card,card", ""},
		{"two cards after a word", "declined: 5555 5555 5555 4444 4111 1111 1111 1111", "declined: " + m + "4444 " + m + "1111", "card,card", ""},
		{"card, expiry and cvc", "4111 1111 1111 1111 0129 7373", m + "1111 ••/•• •••", "card,card,cvv", ""},
		{"card in the middle of a run", "ref 1234 4111 1111 1111 1111 5678 9999", "ref 1234 " + m + "1111 5678 9999", "card", ""},
		{"five fours, no card", "ref 1234 5678 9012 3456 7890", "", "", ""},
		{"amounts", "$1,234.56 and 4242.00 EUR", "", "", ""},
		{"mask is stable", m + "4242 4242 4242 4242", "", "", ""},
		// regressions found by the property test
		{"long run after fours", "1111 2222 3333 4444 5555 4242424242424242", "1111 2222 3333 4444 5555 " + m + "4242", "card", ""},
		{"cvv before grouped card", "security code1907-6304 2049 9073 92703-", "security code1907-" + m + "2703-", "card", ""},
		{"card after token", "=sk_live_6483is3485 6035 2593 911287 870", "=[REDACTED stripe secret key] " + m + "7870", "secret,card", ""},
		{"fraction after card", "4242424242424242.4242424242424242", m + "4242." + m + "4242", "card,card", ""},

		// CVV
		{"cvv", "cvv 123", "cvv •••", "cvv", "CVV"},
		{"CVC colon", "CVC: 1234", "CVC: •••", "cvv", ""},
		{"cvv=", "cvv=123&x=1", "cvv=•••&x=1", "cvv", ""},
		{"cvv2", "CVV2 is 987", "CVV2 is •••", "cvv", ""},
		{"security code", "security code: 321", "security code: •••", "cvv", ""},
		{"cvv/cvc", "cvv/cvc 555", "cvv/cvc •••", "cvv", ""},
		{"cvv 5 digits", "cvv 12345", "", "", ""},
		{"cvv decimal", "cvc 123.45", "", "", ""},
		{"cvv word", "the cvv check failed 3 times", "", "", ""},

		// secrets
		{"stripe live", "key sk_live_51HxYz2eZvKYlo2C0abcdef123 oops", "key [REDACTED stripe secret key] oops", "secret", "Stripe live secret key"},
		{"stripe test", "STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_KEY=[REDACTED stripe secret key]", "secret", "Stripe test secret key"},
		{"stripe restricted", "rk_live_51abcDEF0123456789", "[REDACTED stripe restricted key]", "secret", "Stripe live restricted key"},
		{"webhook secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "[REDACTED stripe webhook secret]", "secret", ""},
		{"publishable", "pk_live_51HxYz2eZvKYlo2C0abcdef123", "", "", ""},
		{"slack bot", "token xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "token [REDACTED slack token]", "secret", "Slack bot token"},
		{"slack app", "xapp-1-A0123456789-1234567890123-abcdef0123456789", "[REDACTED slack token]", "secret", "Slack app-level token"},
		{"slack user in url", "https://x/?t=xoxp-1111-2222-3333-abcdef", "https://x/?t=[REDACTED slack token]", "secret", ""},
		{"braintree", "access_token$production$abc123xyz$0123456789abcdef0123456789abcdef", "[REDACTED braintree access token]", "secret", ""},
		{"paypal bearer", "Authorization: Bearer A21AAFEpH4PsADK7qSS7pSRsgzfENtu-Q1ysgEDVDESseMHBYXVJYE8ovjj68elIDy8nF26AwPhfXTIeWAZHSLIsQkSYz9ifg",
			"Authorization: Bearer [REDACTED paypal access token]", "secret", "PayPal access token"},
		{"paypal client secret", `"client_secret": "EO422dn3gQLgDbuwqTjzrFgFtaRLRR5BdHEESmha49TM"`, `"client_secret": "[REDACTED client secret]"`, "secret", "Client secret"},
		{"secret word", "PAYPAL_SECRET=EO422dn3gQLgDbuwqTjzrFgFtaRLRR5BdHEES", "PAYPAL_SECRET=[REDACTED secret]", "secret", "Secret"},
		{"braintree private key", "private_key: 0f2a9c4e8b1d7f3a6c5e9b2d4f8a1c3e.", "private_key: [REDACTED private key].", "secret", "Private key"},
		{"adyen", "X-API-Key: AQEyhmfxK4/JahBBw0m/n3Q5qf3VaY9UCJ14XWZE03G/k2NFikzVGEiYj+4vtN01BchqAcwQwV1bDb7kfNy1WIxIIkxgBw==-pD3Fzmo9sS5ECIcLS1xm4AC5MFNBuxbMlKS8DJFQ0GY=-i1iAi&6uB~e:4<6Y&ZB some text",
			"X-API-Key: [REDACTED adyen api key] some text", "secret", "Adyen API key"},
		{"secret prose", "the secret sauce is 42", "", "", ""},
		{"secret then token", "secret: sk_live_51HxYz2eZvKYlo2C0abcdef123", "secret: [REDACTED stripe secret key]", "secret", "Stripe live secret key"},
		{"pi client secret id", "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH", "", "", ""},
		{"short stripe", "keys start with sk_live_ and rk_test_", "", "", ""},

		{"empty", "", "", "", ""},
		{"plain text", "Checkout down since 14:05, 502 from gateway, DE39=05", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got, fs := Redact(tt.in)
			if got != want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, want)
			}
			var kinds []string
			for _, f := range fs {
				kinds = append(kinds, f.Kind)
			}
			if k := strings.Join(kinds, ","); k != tt.kinds {
				t.Errorf("kinds = %q, want %q (%v)", k, tt.kinds, fs)
			}
			if tt.label != "" && (len(fs) == 0 || fs[0].Label != tt.label) {
				t.Errorf("findings = %v, want first label %q", fs, tt.label)
			}
			if again, fs2 := Redact(got); again != got || len(fs2) != 0 {
				t.Errorf("not idempotent: %q -> %q (%v)", got, again, fs2)
			}
			if String(tt.in) != got {
				t.Errorf("String differs from Redact")
			}
		})
	}
}

func TestRedactNoFindingSameString(t *testing.T) {
	s := strings.Repeat("Checkout is failing with do_not_honor for 4% of attempts since 14:05. ", 60)
	got, fs := Redact(s)
	if fs != nil || unsafe.StringData(got) != unsafe.StringData(s) || len(got) != len(s) {
		t.Fatalf("Redact returned a different string or findings %v", fs)
	}
	if a := testing.AllocsPerRun(100, func() { Redact(s) }); a != 0 {
		t.Fatalf("allocs = %v, want 0", a)
	}
}

func TestLuhn(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true}, {"4242424242424241", false}, {"79927398713", true},
		{"0", true}, {"", false}, {"4242 4242", false}, {"12a4", false},
	} {
		if got := Luhn(tt.in); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIsCardNumber(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"4242 4242 4242 4242", true},
		{" 4242-4242-4242-4242 ", true},
		{"3782 822463 10005", true},
		{"6011111111111117", true},
		{"4242424242424241", false},    // Luhn
		{"79927398713", false},         // too short
		{"8000000000000000009", false}, // Luhn-valid, no brand range
		{"424242424242426", false},     // Visa prefix, 15 digits
		{"5105105105105100", true},
		{"51051051051051006", false}, // Mastercard is 16 only
		{"4242424242424242x", false},
		{"42424242424242424242", false},
		{"", false},
	} {
		if got := IsCardNumber(tt.in); got != tt.want {
			t.Errorf("IsCardNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestCardTail: what people type right after a card number without a label
// (its expiry and security code) is masked with it; a card followed by a
// longer number, a word or a line break keeps what follows.
func TestCardTail(t *testing.T) {
	const m = "•••• •••• •••• "
	for in, want := range map[string]string{
		"customer card 4000056655665556 12/27 123 declined": "customer card " + m + "5556 ••/•• ••• declined",
		"card 4111 1111 1111 1111 12 27 123":                "card " + m + "1111 ••/•• •••",
		"card 4111111111111111 1227 123":                    "card " + m + "1111 ••/•• •••",
		"card 4111 1111 1111 1111, 12/2027, 123":            "card " + m + "1111, ••/••, •••",
		"card 4111 1111 1111 1111 exp: 12/27":               "card " + m + "1111 exp: ••/••",
		"card 4111 1111 1111 1111 123":                      "card " + m + "1111 •••",
		"card 4111 1111 1111 1111 declined at 12:30":        "card " + m + "1111 declined at 12:30",
		"card 4111 1111 1111 1111\n2027 was the year":       "card " + m + "1111\n2027 was the year",
		"ids 4111 1111 1111 1111 2222 3333":                 "ids " + m + "1111 2222 3333",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
