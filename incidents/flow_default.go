package incidents

// Step ids of the default intake flow. They are a public interface: routing
// rules, stored Details and YAML configs refer to them.
const (
	StepCategory       = "category"
	StepProvider       = "provider"
	StepEnvironment    = "environment"
	StepStartedAt      = "started_at"
	StepImpact         = "impact"
	StepErrorMessages  = "error_messages"
	StepTransactionIDs = "transaction_ids"
	StepPaymentMethods = "payment_methods"
	StepStepsTaken     = "steps_taken"
	StepConfirm        = "confirm"
)

// Environment values of the default flow.
const (
	EnvProduction = "production"
	EnvSandbox    = "sandbox"
)

// DefaultFlow returns a fresh copy of the built-in intake flow. Callers may
// change the copy freely.
func DefaultFlow() *Flow {
	steps := defaultSteps()
	return &Flow{Steps: steps}
}

// DefaultStep returns a copy of the built-in step with id, and whether it
// exists. YAML configs that name a default step by id alone get this one.
func DefaultStep(id string) (Step, bool) {
	for _, s := range defaultSteps() {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// paymentCategories are the categories about customers' payments: the
// impact and payment-method questions are asked only for them.
var paymentCategories = []string{CategoryDeclines, CategoryTimeouts, CategoryIntegration, CategoryOther}

func defaultSteps() []Step {
	return []Step{
		{
			ID:       StepCategory,
			Label:    "Category",
			Prompt:   "What kind of problem is it?",
			Kind:     KindChoice,
			Required: true,
			Choices: []Choice{
				{Value: CategoryDeclines, Label: "Failed transactions / declines",
					Aliases: []string{"decline", "declined", "failed", "failing", "failed transactions", "failures", "card declines", "failed payments"}},
				{Value: CategoryTimeouts, Label: "Slow processing / timeouts",
					Aliases: []string{"timeout", "timed out", "slow", "slow processing", "latency", "slowness"}},
				{Value: CategoryIntegration, Label: "Integration or API errors",
					Aliases: []string{"api", "api errors", "api error", "integration errors", "integration error", "errors", "webhook", "webhooks"}},
				{Value: CategorySecurity, Label: "Security concern",
					Aliases: []string{"security concern", "fraud", "breach", "leak", "compromised", "data leak"}},
				{Value: CategoryPayouts, Label: "Payouts / settlement",
					Aliases: []string{"payout", "settlement", "settlements", "transfers", "deposits"}},
				{Value: CategoryOther, Label: "Other", Aliases: []string{"something else", "not sure"}},
			},
			Example: "1, or declines",
		},
		{
			ID:         StepProvider,
			Label:      "Provider",
			Prompt:     "Which payment provider or gateway is affected? Pick one, or type its name.",
			Kind:       KindChoice,
			Required:   true,
			AllowOther: true,
			Choices: []Choice{
				{Value: "stripe", Label: "Stripe"},
				{Value: "adyen", Label: "Adyen"},
				{Value: "paypal", Label: "PayPal", Aliases: []string{"pay pal"}},
				{Value: "braintree", Label: "Braintree"},
				{Value: "checkout", Label: "Checkout.com", Aliases: []string{"checkout", "checkout com", "cko"}},
				{Value: "square", Label: "Square"},
				{Value: "authorizenet", Label: "Authorize.Net", Aliases: []string{"authnet", "auth.net", "authorize.net", "authorize net", "authorize"}},
				{Value: "worldpay", Label: "Worldpay", Aliases: []string{"world pay", "fis worldpay"}},
			},
			Example: "2, Adyen, or the name of another gateway",
		},
		{
			ID:       StepEnvironment,
			Label:    "Environment",
			Prompt:   "Is this in production (real customers) or in a sandbox/test environment?",
			Kind:     KindChoice,
			Required: true,
			Choices: []Choice{
				{Value: EnvProduction, Label: "Production", Aliases: []string{"prod", "live", "prd"}},
				// Staging and test environments talk to the providers' test
				// endpoints, so they count as sandbox for severity.
				{Value: EnvSandbox, Label: "Sandbox / test", Aliases: []string{"sandbox", "test", "testing", "staging", "stage", "dev", "development", "qa", "uat"}},
			},
			Example: "production, or sandbox",
		},
		{
			ID:       StepStartedAt,
			Label:    "Started",
			Prompt:   "When did it start? A time (14:05), a date and time (2026-11-26 14:05), or how long ago (10 min ago).",
			Kind:     KindTime,
			Required: true,
			Example:  "10 min ago, 14:05, yesterday 23:10, or 2026-11-26 14:05",
		},
		{
			ID:       StepImpact,
			Label:    "Impact",
			Prompt:   "Roughly what share of payments is failing? A percentage, or all, some, or unknown.",
			Kind:     KindPercent,
			Required: true,
			Example:  "30%, all, some, or unknown",
			// Payouts and security concerns are not measured in failing payments.
			When: Condition{Category: append([]string(nil), paymentCategories...)},
		},
		{
			ID:       StepErrorMessages,
			Label:    "Error messages",
			Prompt:   "Paste the error messages or decline codes you see (never card numbers). Reply skip if there are none.",
			Kind:     KindText,
			Example:  "response code 05 do_not_honor, or HTTP 502 from /v1/payment_intents",
			Required: false,
		},
		{
			ID:       StepTransactionIDs,
			Label:    "Transaction ids",
			Prompt:   "Give one or more affected transaction ids from the gateway, separated by commas or spaces (never card numbers). Reply skip if you have none.",
			Kind:     KindList,
			Example:  "ch_3NxYz1234, pi_3Nabc5678",
			Required: false,
		},
		{
			ID:     StepPaymentMethods,
			Label:  "Payment methods",
			Prompt: "Which payment methods are affected? Pick numbers or names, separated by commas, or all. Reply skip if you don't know.",
			Kind:   KindMulti,
			Choices: []Choice{
				{Value: "visa", Label: "Visa"},
				{Value: "mastercard", Label: "Mastercard", Aliases: []string{"mc", "master card"}},
				{Value: "amex", Label: "Amex", Aliases: []string{"american express"}},
				{Value: "discover", Label: "Discover"},
				{Value: "jcb", Label: "JCB"},
				{Value: "unionpay", Label: "UnionPay", Aliases: []string{"union pay", "cup", "china unionpay"}},
				{Value: "ach", Label: "ACH", Aliases: []string{"bank transfer us"}},
				{Value: "sepa", Label: "SEPA", Aliases: []string{"sepa debit", "sepa direct debit"}},
				{Value: "apple_pay", Label: "Apple Pay", Aliases: []string{"applepay"}},
				{Value: "google_pay", Label: "Google Pay", Aliases: []string{"googlepay", "gpay"}},
				{Value: "paypal", Label: "PayPal", Aliases: []string{"pay pal"}},
				{Value: "other", Label: "Other"},
			},
			Example:  "1, 3, or visa, apple pay, or all",
			Required: false,
			When:     Condition{Category: append([]string(nil), paymentCategories...)},
		},
		{
			ID:       StepStepsTaken,
			Label:    "Steps taken",
			Prompt:   "What have you tried so far? Reply skip if nothing yet.",
			Kind:     KindText,
			Example:  "restarted the checkout service, checked the provider status page",
			Required: false,
		},
		defaultConfirmStep(),
	}
}

func defaultConfirmStep() Step {
	return Step{
		ID:       StepConfirm,
		Label:    "Confirm",
		Prompt:   "Does this look right? Reply yes to open the incident, edit to change an answer (or edit provider directly), or cancel.",
		Kind:     KindConfirm,
		Required: true,
		Example:  "yes, edit, or edit impact",
	}
}
