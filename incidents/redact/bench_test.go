package redact

import (
	"strings"
	"testing"
)

// chatMessage builds a realistic ~4 KB incident message: prose, a log
// excerpt, a JSON error body, ids, timestamps, amounts and codes. With
// secrets it also holds a card number, a CVV and a Stripe secret key.
func chatMessage(secrets bool) string {
	card, cvv, key := "4000 0000 0000 0002", "cvv 123", "sk_live_51HxYz2eZvKYlo2C0abcdef1234567890XyZ"
	if !secrets {
		card, cvv, key = "pm_1OqX2eZvKYlo2C0d8Jx", "3DS frictionless", "rk_test_"
	}
	var b strings.Builder
	b.WriteString(`Hey team, we're seeing a spike in declines on checkout since 14:05 UTC (2024-05-12). ` +
		`About 18.4% of card payments on the EU storefront fail with do_not_honor / ISO 8583 response code 05, ` +
		`and a smaller share with 51 (insufficient funds) and 91 (issuer unavailable). Volume is normal: ` +
		`~1,240 attempts per minute, average ticket €84.90. Adyen status page is green, Stripe shows no incident.` + "\n\n")
	b.WriteString("Customer support escalated order ORD-2024-0048213 (customer +44 7911 123456): the shopper says she used " +
		card + " with " + cvv + " and got declined three times before giving up. Refund request INV-2024-05-00912.\n\n")
	b.WriteString("Log excerpt from payments-api (pod payments-api-7d9f8c6b5-x2kqp):\n```\n")
	for i := 0; i < 12; i++ {
		b.WriteString(`2024-05-12T14:07:3` + string(rune('0'+i%10)) + `.418Z ERROR charge failed request_id=550e8400-e29b-41d4-a716-446655440000 ` +
			`psp_ref=8815155348731234 amount=8490 currency=EUR decline_code=do_not_honor network=visa latency_ms=842` + "\n")
	}
	b.WriteString("```\n\nRaw response body:\n```json\n" + `{"error":{"code":"card_declined","decline_code":"do_not_honor",` +
		`"message":"Your card was declined.","payment_intent":{"id":"pi_3MtwBwLkdIwHu7ix28a3tqPa","amount":8490,` +
		`"created":1715522843,"status":"requires_payment_method"},"request_log_url":"https://dashboard.stripe.com/logs/req_Xyz123"}}` + "\n```\n\n")
	b.WriteString("Config diff deployed at 13:58 (commit 9f1c2ab): retries raised from 2 to 4, 3DS exemption for low-value " +
		"transactions switched on, and STRIPE_SECRET_KEY rotated to " + key + " by mistake in the shared env file. " +
		"Payout to IBAN DE89 3704 0044 0532 0130 00 is unaffected. Settlement batch 20240512 closed at 02:00.\n\n")
	for b.Len() < 4096 {
		b.WriteString("Next steps: compare decline rates by BIN and issuer country, check whether the retry change " +
			"causes duplicate authorisations (same idempotency key?), roll back the 3DS exemption flag, and page the " +
			"Adyen account manager if the issuer-unavailable share keeps climbing past 5% for 15 minutes. ")
	}
	return b.String()[:4096]
}

func BenchmarkRedact4KB(b *testing.B) {
	for _, tc := range []struct {
		name    string
		secrets bool
	}{{"secrets", true}, {"clean", false}} {
		msg := chatMessage(tc.secrets)
		_, fs := Redact(msg)
		if tc.secrets != (len(fs) > 0) {
			b.Fatalf("%s: findings %v", tc.name, fs)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				Redact(msg)
			}
		})
	}
}

func TestChatMessageFindings(t *testing.T) {
	msg := chatMessage(true)
	out, fs := Redact(msg)
	if len(msg) != 4096 || len(fs) != 3 {
		t.Fatalf("len %d, findings %v", len(msg), fs)
	}
	for _, leak := range []string{"4000 0000 0000 0002", "cvv 123", "sk_live_"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q left in output", leak)
		}
	}
	if _, fs := Redact(chatMessage(false)); fs != nil {
		t.Errorf("clean message: findings %v", fs)
	}
}
