package incidents

import "strings"

// Gateway is a payment provider Paybot knows by name, so that its name is
// spelt the way the company spells it (PayPal, not Paypal) and a near
// miss ("strpe") can be caught during the intake.
type Gateway struct {
	ID      string // the value stored in Details.Provider
	Name    string
	Aliases []string
}

// KnownGateways are the gateways recognised by name beyond the provider
// step's own choices.
var KnownGateways = []Gateway{
	{ID: "stripe", Name: "Stripe"},
	{ID: "adyen", Name: "Adyen"},
	{ID: "paypal", Name: "PayPal", Aliases: []string{"pay pal"}},
	{ID: "braintree", Name: "Braintree"},
	{ID: "checkout", Name: "Checkout.com", Aliases: []string{"checkout com", "cko"}},
	{ID: "square", Name: "Square"},
	{ID: "authorizenet", Name: "Authorize.Net", Aliases: []string{"authnet", "auth.net", "authorize net"}},
	{ID: "worldpay", Name: "Worldpay", Aliases: []string{"world pay", "fis worldpay"}},
	{ID: "gocardless", Name: "GoCardless", Aliases: []string{"go cardless"}},
	{ID: "mollie", Name: "Mollie"},
	{ID: "klarna", Name: "Klarna"},
	{ID: "cybersource", Name: "CyberSource"},
	{ID: "globalpayments", Name: "Global Payments"},
	{ID: "fiserv", Name: "Fiserv"},
	{ID: "elavon", Name: "Elavon"},
	{ID: "nuvei", Name: "Nuvei"},
	{ID: "bluesnap", Name: "BlueSnap"},
	{ID: "payu", Name: "PayU"},
	{ID: "razorpay", Name: "Razorpay"},
	{ID: "mercadopago", Name: "Mercado Pago"},
	{ID: "dlocal", Name: "dLocal"},
	{ID: "ebanx", Name: "EBANX"},
	{ID: "rapyd", Name: "Rapyd"},
	{ID: "paddle", Name: "Paddle"},
	{ID: "sumup", Name: "SumUp"},
	{ID: "shopifypayments", Name: "Shopify Payments"},
	{ID: "amazonpay", Name: "Amazon Pay"},
}

// FindGateway returns the known gateway that name spells exactly (any
// case, spaces and punctuation ignored: "checkout.com", "GO CARDLESS").
func FindGateway(name string) (Gateway, bool) {
	k := normKey(name)
	if k == "" {
		return Gateway{}, false
	}
	for _, g := range KnownGateways {
		if k == normKey(g.ID) || k == normKey(g.Name) {
			return g, true
		}
		for _, a := range g.Aliases {
			if k == normKey(a) {
				return g, true
			}
		}
	}
	return Gateway{}, false
}

// GatewayName is the gateway's own spelling for a provider id or name
// ("paypal" gives "PayPal", "checkout" gives "Checkout.com"); a provider
// Paybot does not know keeps the spelling it was given.
func GatewayName(id string) string {
	if g, ok := FindGateway(id); ok {
		return g.Name
	}
	return strings.TrimSpace(id)
}
