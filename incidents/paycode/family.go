package paycode

import "strings"

// A Family is a set of codes that one public page documents, at the
// provider or the body that defines them: an answer about one of its codes
// links there, not to a generic rules page. Each URL was checked to exist
// when it was added (the page, not an anchor inside it).
type Family struct {
	Key  string // stable id: "nacha-return"
	Name string // what the page documents: "Nacha ACH return codes (R01–R85)"
	URL  string
	// Systems are the code systems of the family, as the knowledge base
	// names them: the prefix of a reference record's id before its code
	// ("ach-return", "iso8583_1987_field39", "paypal-issue:checkout_orders_v2"),
	// lower case.
	Systems []string
}

// families is the link data of the code vocabulary.
var families = []Family{
	{Key: "stripe-decline", Name: "Stripe decline codes", URL: "https://docs.stripe.com/declines/codes", Systems: []string{"stripe-decline"}},
	{Key: "stripe-error", Name: "Stripe API error codes", URL: "https://docs.stripe.com/error-codes", Systems: []string{"stripe-error"}},
	{Key: "card-network", Name: "Card network (ISO 8583 field 39) decline codes", URL: "https://docs.stripe.com/declines/network-codes",
		Systems: []string{"iso8583_1987_field39", "iso8583"}},
	{Key: "iso8583-action", Name: "ISO 8583:1993 three-digit action codes", URL: "https://developer.nexigroup.com/xpaycee/en-EU/docs/iso-response-codes",
		Systems: []string{"iso8583_1993_action_code"}},
	{Key: "nacha-return", Name: "Nacha ACH return codes (R01–R85)", URL: "https://docs.moov.io/guides/ach/returns/", Systems: []string{"ach-return", "ach"}},
	{Key: "nacha-noc", Name: "Nacha notification of change codes (C01…)", URL: "https://jackhenry.dev/payments-orchestrator/docs/payments/payments-1/noc-and-return-ach-codes/",
		Systems: []string{"ach-noc_change", "ach-noc"}},
	{Key: "3ds-transstatus", Name: "EMV 3-D Secure transStatus values", URL: "https://docs.adyen.com/online-payments/classic-integrations/api-integration-ecommerce/3d-secure/raw-3d-secure-responses",
		Systems: []string{"3ds-transstatus"}},
	{Key: "3ds-transstatusreason", Name: "EMV 3-D Secure transStatusReason values", URL: "https://www.checkout.com/docs/risk-management/3d-secure/sessions/understand-authentication-failures",
		Systems: []string{"3ds-transstatusreason"}},
	{Key: "adyen-refusal", Name: "Adyen refusal reasons", URL: "https://docs.adyen.com/development-resources/refusal-reasons", Systems: []string{"adyen"}},
	{Key: "braintree-processor", Name: "Braintree processor responses (authorization)", URL: "https://developer.paypal.com/braintree/docs/reference/general/processor-responses/authorization-responses",
		Systems: []string{"braintree"}},
	{Key: "paypal-orders", Name: "PayPal Orders v2 errors", URL: "https://developer.paypal.com/api/rest/reference/orders/v2/errors/",
		Systems: []string{"paypal-issue:checkout_orders_v2"}},
	{Key: "checkout-response", Name: "Checkout.com API response codes", URL: "https://checkout.com/docs/resources/codes/api-response-codes",
		Systems: []string{"checkout.com", "checkout"}},
	{Key: "square-error", Name: "Square API error codes", URL: "https://developer.squareup.com/reference/square/enums/ErrorCode",
		Systems: []string{"square-error", "square"}},
	{Key: "sepa-reason", Name: "SEPA Direct Debit R-transaction reason codes", URL: "https://documentation.lemonway.com/v8.2/reference/sepa-error-codes",
		Systems: []string{"sepa"}},
}

var familyBySystem = func() map[string]Family {
	m := map[string]Family{}
	for _, f := range families {
		for _, s := range f.Systems {
			m[s] = f
		}
	}
	return m
}()

// FamilyOf returns the family of a code system (case-insensitive). A
// system written "a:b" (PayPal's issue names per API) falls back to "a"
// when "a:b" has no family of its own.
func FamilyOf(system string) (Family, bool) {
	s := strings.ToLower(strings.TrimSpace(system))
	for s != "" {
		if f, ok := familyBySystem[s]; ok {
			return f, true
		}
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			break
		}
		s = s[:i]
	}
	return Family{}, false
}

// Families returns every family, in a stable order.
func Families() []Family {
	return append([]Family(nil), families...)
}
