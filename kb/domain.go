package kb

import (
	"regexp"
	"strings"
)

// domainWords is the payments vocabulary used by the confidence decision: a
// question that matches none of these words in its best hit (and no code)
// needs a high coverage to count as answered. It is what tells "why was the
// card declined" from "what's the weather in Paris" when both happen to
// match a few generic words of some article.
var domainWords = strings.Fields(`
payment payments pay paid payer payee payout payouts charge charges charged chargeback chargebacks
card cards credit debit refund refunds refunded decline declined declines declining dispute disputes
fraud fraudulent issuer acquirer processor gateway merchant checkout transaction transactions
authorization authorisation authorize authorise auth capture captured settlement settle settled
ach sepa iban bacs bank nacha echeck mandate cvv cvc avs 3ds sca secure 3d authentication webhook webhooks
ipn callback api apis key keys secret token tokens tokenization idempotency idempotent retry retries
timeout timeouts latency tls ssl handshake certificate currency currencies amount amounts subscription
subscriptions recurring billing invoice invoices dunning stripe paypal square adyen
braintree worldpay klarna visa mastercard amex discover wallet wallets applepay gpay sandbox testmode
funds balance nsf pci pan sla slas escalate escalation ticket incident outage downtime
pin terminal expired expiry expiration reversal void voided noc psd2 kyc acquiring interchange
refused rejected approve approved approval denied blocked stolen lost reissued updater
error errors code codes decline_code response
rate limit limits throttled throttling 429 500 502 503 504 http
donation donations customer customers buyer buyers shopper cardholder
account manager support developer onboarding go-live production live
iso 8583 de39 transstatus transstatusreason emv
signature signatures signing payload hmac
usd eur gbp jpy krw cad aud chf sek nok dkk pln brl mxn inr
`)

var domainStems = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range domainWords {
		m[stem(w)] = true
		m[w] = true
	}
	return m
}()

// nearTopicCues are phrases of personal finance, markets and company facts:
// questions that share words with payments ("credit card", "stripe",
// "visa") but that a merchant's payments team cannot answer from its
// knowledge base (the best card for rewards, a provider's share price or
// CEO, paying one's own card bill, a consumer charged twice by a shop).
// A question holding one is never a confident answer unless it also names
// a payment code that the best hit holds.
var nearTopicCues = []string{
	"share price", "stock price", " stock ", " stocks ", " shares ", "market cap", "valuation", " ipo ",
	"invest ", "investing", "investment", "dividend", "mortgage", "retirement", "pension", "savings account",
	"credit score", "credit report", "personal loan", "student loan", " rewards", "cashback", "cash back",
	"air miles", "frequent flyer", "travel card", "foreign transaction fee", "annual fee", "credit limit increase",
	"pay my credit card", "my credit card bill", "my card bill", "pay off my", "my own card", "my own visa",
	"my own mastercard", "my personal card", "at the supermarket", "at the restaurant", "restaurant bill",
	"split a bill", "split the bill", "best credit card", "best debit card", "best prepaid", "which credit card should i",
	"open a bank account", "my bank account balance", "lottery", "crypto price", "bitcoin price", "exchange rate today",
	// a company's facts rather than its API: who runs it, what it earns
	" ceo ", "chief executive", "founder of", "founded ", "headquarters", "how many employees", "annual revenue",
	"revenue last year", "quarterly revenue", "report earnings", "earnings call", "earnings report", "net worth",
	// a consumer's own money: what happened to me, my card, my debt
	"charged me", "charge me ", "my money back", "didn't buy", "did not buy", "never bought", "i didn't order",
	"my personal", "personal finance", "personal credit", "credit card debt", "my debt", "my credit limit",
	"my credit card bill", "my credit card statement", "my card statement", "my statement", "my paycheck",
	"my salary", "my savings", "my loan", "car loan", "interest rate for", "budgeting app", "roth ira", "401k",
	" ira ", "dividends", "amex platinum", "airport lounge", "my own credit card", "my own debit card",
}

// nearTopic reports whether q reads as personal finance or markets.
func nearTopic(q string) bool {
	l := " " + strings.ToLower(strings.Join(strings.Fields(q), " ")) + " "
	l = strings.NewReplacer("?", " ", ",", " ", ".", " ", "!", " ", "'s ", " ").Replace(l)
	for _, c := range nearTopicCues {
		if strings.Contains(l, c) {
			return true
		}
	}
	for _, re := range consumerShapes {
		if re.MatchString(l) {
			return true
		}
	}
	if !merchantSide(q) && !hasAny(q, paymentActions) {
		for _, re := range adviceShapes {
			if re.MatchString(l) {
				return true
			}
		}
	}
	return ownMoney(q)
}

// consumerShapes are the sentence shapes of someone asking about their own
// life with money rather than a merchant's payments, whatever else the
// question names: buying or returning something themselves, their own
// statement, rent or pay, their friends and landlord, freezing or
// reporting their own card, a bank's opening hours, a rate of exchange
// between currencies, a company as an employer or a product's number of
// users. They hold even beside a merchant's word ("an order I returned", "a
// charge on my amex statement"), which is why they are shapes, not single
// words. Matched against nearTopic's lower-cased, de-punctuated form, which
// starts and ends with a space.
var consumerShapes = compileShapes(
	`\bi (returned|bought|ordered|purchased|paid for)\b`,
	`\b(a|the) (good|better|best|smart) (buy|investment|deal)\b`, `\bbetter buy\b`,
	`\bmy (\w+ ){0,2}(landlord|rent|paycheck|paycheque|wages|friend|friends|family|mom|dad|wife|husband|son|daughter|kid|kids|child|children|mother|father|brother|sister|grandma|grandpa|grandmother|grandfather|parents|partner|girlfriend|boyfriend|roommate|neighbor|neighbour)\b`,
	// a buyer's own dispute with their card's issuer
	`\b(dispute|chargeback|charge back|refund|reverse) (a|the|this|that) (charge|transaction|payment|purchase) (on|from) my\b`,
	`\bon my (own )?(visa|mastercard|amex|credit card|debit card|card|statement|bank account|bank statement)\b`,
	// a card or bank statement, not a merchant's settlement statement
	`\bmy ((credit|debit|bank|card|amex|visa|mastercard|discover|chase|monthly|last|latest) ){0,2}(statement|bill)\b`,
	`\b(to|for) (a|my) (friend|friends|family)\b`,
	`\b(freeze|unfreeze|lock|unlock) my\b`, `\breport (a|my) (lost|stolen) ((credit|debit) )?card ($|to (my|the) bank|online)`,
	`\bmiss(ed)? (a|my) (\w+ ){0,2}payment\b`,
	`\b(company|place) to work\b`, `\bhow many people (use|have|own)\b`,
	`\bhow much (is|are|do|does) (a|an) (\w+ ){1,4}(paid|earn|make)\b`,
	`\bhow much does (\w+ ){1,2}pay (\w+ ){0,2}(engineers?|interns?|employees|staff|developers?|managers?|workers|people)\b`,
	// a company's size and worth, not its API
	`\bhow many (users|merchants|customers|people|employees|accounts|clients|subscribers|stores|sellers) (does|do) (\w+ ){1,3}have\b`,
	`\bvalued (higher|more|at)\b`, `\bmarket share\b`, `\bwhich is (bigger|larger)\b`,
	`\bwhat time does (\w+ ){1,3}(open|close)\b`, `\bopening hours\b`,
	`\b(open|opens|close|closes) on (saturday|sunday|weekends?|holidays?)\b`,
	`\bexchange rate (of|between|today)\b`,
	`\b(euro|euros|dollar|dollars|pound|pounds|yen) (to|into|in) (euro|euros|dollar|dollars|pound|pounds|yen)\b`,
	`\bsafe to use (at|in|for|abroad)\b`,
	// a consumer's own cards, cash and wallet
	`\b(wallet|purse) (was |got |has been )?(stolen|lost)\b`, `\bcancel (all )?(my |her |his |the )?cards\b`,
	// a buyer's own dispute with a shop, and their own parcel
	`\b(chargeback|dispute|refund|complaint|complain) (\w+ ){0,3}(against|from|with|about) (a|an|the|this|that) (\w+ )?(shop|store|seller|retailer|vendor|website|airline|hotel|restaurant|gym|company)\b`,
	`\b(never|hasn't|has not|didn't|did not) (\w+ )?(shipped|delivered|arrived|sent) my\b`,
	`\bmy (order|package|parcel|purchase|delivery|item|items) (never|hasn't|has not|didn't|did not|was never|wasn't|is late|is missing|got lost)\b`,
	// a customer writing to the shop: "refund me", "your website", "I tried to pay"
	`\brefund me\b`, `\b(renewed|charged|billed|debited) my\b`,
	`\b(on|in|from|with|at) your (website|site|app|store|shop|company|service|platform)\b`,
	`\bi (tried|was trying|try|am trying|wanted) to (pay|buy|order|purchase|check out|checkout|subscribe)\b`,
	// a career in payments: interviews, certifications, becoming one
	`\binterview(s|ing)?\b`, `\b(become|becoming) (a|an) (\w+ ){0,3}(auditor|engineer|developer|manager|analyst|consultant|qsa|specialist|assessor)\b`,
	`\b(certification|certifications|certified|resume|internship)\b`,
	// a company as an employer: jobs, pay, interviews
	`\b(get|find|land|apply for|applying for|want|looking for) (a |an )?(job|jobs|internship|internships|position)\b`,
	`\b(salary|salaries|compensation|internship|internships|career|careers|interview|interviews|interviewing|hiring process|glassdoor|work culture|pay band|stock options) (at|with|for|in|of)\b`,
	`\b(engineer|engineers|developer|developers|manager|managers|analyst|analysts|intern|interns) (salary|salaries|pay|compensation)\b`,
	`\bwork(ing)? at (stripe|adyen|paypal|square|braintree|klarna|visa|mastercard|amex|american express|worldpay|wise|revolut|block|checkout com|affirm|plaid|marqeta|fiserv)\b`,
)

// adviceShapes are a consumer's choice between products ("should I get a
// card with no fee", "is venmo or zelle better") and the places of their
// day (a gas station, a grocery store, travelling). A merchant weighs
// choices too ("is a retry or a refund better for our customers") and
// sells at those places ("customers paying at gas stations"), so these
// count only when the question names nothing of a merchant's side
// (merchantCues) and none of the things a merchant does to a payment
// (paymentActions).
var adviceShapes = compileShapes(
	`\bshould i (get|buy|apply for|sign up for|open) (a|an|the) (\w+ ){0,3}(card|loan|mortgage) (with|from|for|or|that|if|to|$)`,
	`\bor \w+( \w+)? (better|cheaper|safer)\b`, `\bwhich is (better|cheaper|safer)\b`,
	`\b(gas|petrol) stations?\b`, `\bgrocery (store|shop)\b`,
	`\b(for|when|while) travell?ing\b`, `\btravell?ing abroad\b`,
	// someone else's own card, and where a consumer pays
	`\b(her|his) (\w+ )?(card|cards|bank|account|wallet|pin)\b`,
	`\b(at|on|in) (the|an?) (airport|bus|train|tram|subway|mall|cinema|bar|pub|concert|kiosk|casino|taxi)\b`,
	`\bbuying (\w+ )?tickets\b`, `\batms?\b`,
)

func compileShapes(patterns ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		out[i] = regexp.MustCompile(p)
	}
	return out
}

// Whose question it is. The knowledge base answers a merchant's payments
// people: they write "we", "our checkout", "customers", "the API", "the
// provider". The phrases above are examples; these are the classes behind
// them, so that wordings nobody listed are caught too.
var (
	// the first person singular that owns or receives: a consumer's own
	// card, bank, money ("how do I retry" is how merchants ask too)
	firstPerson = toSet(strings.Fields(`my me mine myself`))
	// words of markets, a company's money and personal finance
	financeWords = toSet(strings.Fields(`stock stocks shares shareholder shareholders trading traded invest investing
		investment investments investor investors dividend dividends revenue revenues profit profits earnings earn earns
		salary salaries wage wages employee employees hiring career careers ceo founder founders valuation ipo apr
		mortgage mortgages loan loans tax taxes savings crypto bitcoin ethereum btc eth retirement pension lottery
		budget budgeting money points miles cashback interest apy layoff layoffs news announce announced announcement
		acquisition acquisitions acquired merger lawsuit`))
	// words of a merchant's side of a payment: whoever writes them asks
	// about their business, not their own money
	merchantCues = toSet(strings.Fields(`we we're we've our ours us ourselves customer customers customer's shopper shoppers
		buyer buyers cardholder cardholders merchant merchants client clients user users checkout integration api apis
		sdk webhook webhooks endpoint endpoints dashboard payout payouts settlement settlements production prod sandbox
		staging test testing live mode intent intents site website app server servers deploy deployed release gateway gateways processor acquirer
		psp key keys secret button buttons form forms page pages terminal terminals reader readers
		provider providers outage downtime latency timeout timeouts team ticket incident orders order subscribers
		donors donation donations chargeback chargebacks dispute disputes mid idempotency
		request requests response responses iframe 3ds 3ds2 sca challenge capture captures captured preauth
		preauthorization authorization authorisation auth sdk`))
)

// ownMoney reports whether q asks about someone's own money or about
// markets and companies rather than a merchant's payments: written in the
// first person singular, or with a word of markets or personal finance,
// and naming nothing of a merchant's side ("my visa card charges 25% APR",
// "how do I send money to a friend with paypal", "how much money does
// stripe make per year"; not "how do I verify a webhook signature").
func ownMoney(q string) bool {
	first, finance := false, false
	for _, w := range questionWords(q) {
		switch {
		case merchantCues[w]:
			return false
		case firstPerson[w]:
			first = true
		case financeWords[w]:
			finance = true
		}
	}
	return first || finance
}

// paymentActions are what a merchant does to a payment. A choice between
// them ("a retry or a refund") is a merchant's question, while a consumer
// chooses between products.
var paymentActions = toSet(strings.Fields(`retry retries retrying refund refunds refunding capture captures
	void voids reverse reversal cancel resend rotate verify authorize authorise charge charges`))

// merchantSide reports whether q names anything of a merchant's side of a
// payment (merchantCues).
func merchantSide(q string) bool { return hasAny(q, merchantCues) }

// hasAny reports whether one of q's words (questionWords) is in set.
func hasAny(q string, set map[string]bool) bool {
	for _, w := range questionWords(q) {
		if set[w] {
			return true
		}
	}
	return false
}

// questionWords splits q into lower-case words of letters, digits and
// apostrophes, with a trailing possessive apostrophe dropped (customers' =
// customers).
func questionWords(q string) []string {
	ws := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'' || r == '’')
	})
	for i, w := range ws {
		ws[i] = strings.Trim(strings.ReplaceAll(w, "’", "'"), "'")
	}
	return ws
}
