package incidents

import (
	"reflect"
	"regexp"
	"testing"
)

func TestExtractCodes(t *testing.T) {
	iso := func(v string) Code { return Code{CodeISO8583, v} }
	str := func(v string) Code { return Code{CodeStripe, v} }
	nacha := func(v string) Code { return Code{CodeNACHA, v} }
	http := func(v string) Code { return Code{CodeHTTP, v} }
	gw := func(v string) Code { return Code{CodeGateway, v} }
	tests := []struct {
		in   string
		want []Code
	}{
		{"", nil},
		{"response code 05", []Code{iso("05")}},
		{"Response Code: 51", []Code{iso("51")}},
		{"RC=91", []Code{iso("91")}},
		{"DE39=05", []Code{iso("05")}},
		{"DE39:05", []Code{iso("05")}},
		{"iso 8583 code 14", []Code{iso("14")}},
		{"issuer declined with 05", []Code{iso("05")}},
		{"declined 51 insufficient funds", []Code{iso("51"), str("insufficient_funds")}},
		{"we got 05 do not honor", []Code{iso("05"), str("do_not_honor")}},
		{"codes 05, 51 and 91", []Code{iso("05"), iso("51"), iso("91")}},
		{"response code 5", []Code{iso("05")}},
		{"error 05 from the issuer", []Code{iso("05")}},
		// numbers that are not codes
		{"30% of payments fail since 14:05", nil},
		{"it started 10 minutes ago, 25 customers affected", nil},
		{"declined 30 of 100 payments", nil},
		{"declines went up for $50 orders", nil},
		{"on 2026-11-26 we saw 12 declines", nil},
		{"error rate 30", nil},
		{"version 2.05 of the SDK", nil},
		{"we have 3 stores", nil},
		// stripe
		{"do_not_honor", []Code{str("do_not_honor")}},
		{"Do Not Honour", []Code{str("do_not_honor")}},
		{"Insufficient funds and expired card", []Code{str("insufficient_funds"), str("expired_card")}},
		{"generic_decline, generic decline", []Code{str("generic_decline")}},
		{"decline_code: fraudulent", []Code{str("fraudulent")}},
		{"we think these are fraudulent orders", nil},
		{"lost_card stolen_card pickup_card incorrect_cvc processing_error", []Code{str("lost_card"), str("stolen_card"), str("pickup_card"), str("incorrect_cvc"), str("processing_error")}},
		{"please try again later", nil},
		{"try_again_later", []Code{str("try_again_later")}},
		{"field ch_3NxYz_abc is not a code", nil},
		// nacha
		{"ACH returns R01 and R03", []Code{nacha("R01"), nacha("R03")}},
		{"return code r1, R-02, r29", []Code{nacha("R01"), nacha("R02"), nacha("R29")}},
		{"R00 R86 R99", nil},
		// http
		{"the API returned 502", []Code{http("502")}},
		{"HTTP 429 Too Many Requests", []Code{http("429")}},
		{"HTTP/1.1 503 Service Unavailable", []Code{http("503")}},
		{"status=500", []Code{http("500")}},
		{"getting 504s from the gateway", []Code{http("504")}},
		{"502 Bad Gateway", []Code{http("502")}},
		{"we lost 500 transactions", nil},
		{"400 customers", nil},
		{"timeout after 500 ms", nil},
		{"status 200", nil},
		// gateway
		{"PayPal says INSTRUMENT_DECLINED then PAYER_ACTION_REQUIRED", []Code{gw("INSTRUMENT_DECLINED"), gw("PAYER_ACTION_REQUIRED")}},
		{"DO_NOT_HONOR", []Code{gw("DO_NOT_HONOR")}},
		{"STRIPE_SECRET_KEY and API_KEY are set", nil},
		{"A_B", nil},
		{"acquirer says E0054, then e-0054 and E_0054", []Code{gw("E0054")}},
		{"Braintree processor response 2046", []Code{{CodeNumbered, "2046"}}},
		{"checkout.com response code 20051", []Code{{CodeNumbered, "20051"}}},
		{"we lost 2046 orders since 2026", nil},
		// mixed, order and dedupe
		{"HTTP 402 card_declined (do_not_honor), DE39 05; ACH R01; INSTRUMENT_DECLINED; card_declined again, HTTP 402",
			[]Code{http("402"), str("card_declined"), str("do_not_honor"), iso("05"), nacha("R01"), gw("INSTRUMENT_DECLINED")}},
	}
	for _, tt := range tests {
		got := ExtractCodes(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ExtractCodes(%q)\n got  %v\n want %v", tt.in, got, tt.want)
		}
	}
}

var canonical = map[string]*regexp.Regexp{
	CodeISO8583:  regexp.MustCompile(`^\d\d$`),
	CodeStripe:   regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`),
	CodeNACHA:    regexp.MustCompile(`^R(0[1-9]|[1-7]\d|8[0-5])$`),
	CodeHTTP:     regexp.MustCompile(`^[45]\d\d$`),
	CodeGateway:  regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{1,3}\d{2,6}$`),
	CodeNumbered: regexp.MustCompile(`^\d{4,5}$`),
}

func FuzzExtractCodes(f *testing.F) {
	for _, s := range []string{"response code 05", "do not honor", "R01 r1 R-01", "HTTP 502", "INSTRUMENT_DECLINED",
		"DE39:05", "30% at 14:05", "codes 05, 51 and 91", "€12", "decline_code: fraudulent"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		codes := ExtractCodes(s)
		seen := map[Code]bool{}
		for _, c := range codes {
			re, ok := canonical[c.System]
			if !ok {
				t.Fatalf("ExtractCodes(%q): unknown system in %v", s, c)
			}
			if !re.MatchString(c.Value) {
				t.Fatalf("ExtractCodes(%q): %v is not canonical", s, c)
			}
			if c.System == CodeStripe {
				if _, ok := stripeCodes[c.Value]; !ok {
					t.Fatalf("ExtractCodes(%q): %v is not a Stripe code", s, c)
				}
			}
			if k := c.Key(); k == "" || !SameCode(k, c.Value) {
				t.Fatalf("ExtractCodes(%q): %v has no key in the shared vocabulary", s, c)
			}
			if seen[c] {
				t.Fatalf("ExtractCodes(%q): duplicate %v", s, c)
			}
			seen[c] = true
		}
	})
}
