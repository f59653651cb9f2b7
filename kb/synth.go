package kb

import (
	"fmt"
	"math/rand"
	"strings"
)

// Synthetic corpus for the speed benchmark: deterministic for a seed, with
// payments vocabulary, Zipf-distributed word frequencies, a long tail of
// rare tokens (merchant names, ids), and codes in every format the query
// analyser understands (ISO 8583, ACH, 3DS, SCREAMING_SNAKE gateway codes).

var synthProviders = []string{"stripe", "paypal", "square", "adyen", "braintree", "worldpay", "checkout", "klarna"}

var synthTopics = strings.Fields(`decline refund payout dispute chargeback webhook timeout latency
capture authorization settlement subscription renewal invoice currency amount 3ds sca avs cvv
idempotency duplicate retry rate-limit tls certificate apikey sandbox terminal wallet applepay
googlepay ach sepa mandate iban fraud radar velocity outage incident escalation sla`)

var synthCommon = strings.Fields(`customer customers payment payments card cards bank issuer acquirer
processor gateway merchant checkout transaction transactions error errors code response request
requests failed failing declined approved pending succeeded status account balance funds limit
limits network api key keys secret token event events endpoint signature server client mobile
web browser app order orders charge charges charged amount currency country region region
support ticket team engineer dashboard log logs trace latency slow fast retry retries attempt
attempts issue issues problem problems reason reasons message messages header headers version
update updated upgrade config configuration setting settings production live test mode
integration sdk library plugin platform provider service services outage degraded partial
report reported users user buyer seller shop store online mobile terminal device reader`)

var synthCodes = strings.Fields(`do_not_honor insufficient_funds card_declined expired_card
incorrect_cvc processing_error generic_decline lost_card stolen_card fraudulent
card_velocity_exceeded try_again_later authentication_required INSTRUMENT_DECLINED
PAYER_ACTION_REQUIRED ORDER_NOT_APPROVED TRANSACTION_REFUSED CVV_FAILURE PAN_FAILURE
GENERIC_DECLINE INSUFFICIENT_FUNDS CARD_EXPIRED IDEMPOTENCY_KEY_REUSED RATE_LIMITED`)

var synthSyll = strings.Fields(`ka lo mi ra ven tor pa si ul den ko ba ri zen fa mo tel qua xi
dor pen lu sa ne vo tri gan hel bor ci`)

// synthCardWords are vocabulary words that the answer check reads as card
// data beside a request ("customer request pin"); a synthetic community
// answer draws other words instead, so that the import accepts every line
// without running the check here (the bench times generation with indexing).
var synthCardWords = map[string]bool{"pin": true, "pins": true, "cvv": true, "cvc": true, "cvv2": true, "cvc2": true,
	"pan": true, "expiry": true, "expiration": true, "number": true, "numbers": true, "digits": true, "security": true}

// SynthCorpus returns n deterministic documents for benchmarks.
func SynthCorpus(seed int64, n int) []Doc {
	docs := make([]Doc, 0, n)
	_ = SynthStream(seed, n, func(_ int, d Doc) error {
		docs = append(docs, d)
		return nil
	})
	return docs
}

// SynthStream generates the documents of SynthCorpus one at a time (the
// same documents for the same seed), without holding them all.
func SynthStream(seed int64, n int, fn func(i int, d Doc) error) error {
	r := rand.New(rand.NewSource(seed))
	// long-tail vocabulary: common words first (Zipf head), then rare
	// invented tokens (merchant names, product names)
	vocab := append([]string{}, synthCommon...)
	vocab = append(vocab, synthTopics...)
	vocab = append(vocab, domainWords...)
	for len(vocab) < 30000 {
		k := 2 + r.Intn(3)
		var b strings.Builder
		for i := 0; i < k; i++ {
			b.WriteString(synthSyll[r.Intn(len(synthSyll))])
		}
		vocab = append(vocab, b.String())
	}
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	for i := 0; i < n; i++ {
		prov := synthProviders[r.Intn(len(synthProviders))]
		topic := synthTopics[r.Intn(len(synthTopics))]
		var code, kind, id string
		switch r.Intn(6) {
		case 0:
			code = fmt.Sprintf("%02d", r.Intn(100))
			kind = KindReference
			id = fmt.Sprintf("synth-iso:%d:%s", i, code)
		case 1:
			code = fmt.Sprintf("R%02d", 1+r.Intn(85))
			kind = KindReference
			id = fmt.Sprintf("synth-ach:%d:%s", i, code)
		case 2:
			code = synthCodes[r.Intn(len(synthCodes))]
			kind = KindReference
			id = fmt.Sprintf("synth-%s:%d:%s", prov, i, code)
		case 3:
			kind = KindIncident
			id = fmt.Sprintf("PAY-%d", i)
		default:
			kind = KindCommunity
			id = fmt.Sprintf("community-%d", i)
		}
		words := func(k int) string {
			ws := make([]string, k)
			for j := range ws {
				ws[j] = vocab[z.Uint64()]
				// a community answer the import would refuse (word salad
				// such as "customer request pin" reads as asking for a PIN)
				for try := 0; kind == KindCommunity && synthCardWords[ws[j]] && try < 10; try++ {
					ws[j] = vocab[z.Uint64()]
				}
			}
			return strings.Join(ws, " ")
		}
		title := fmt.Sprintf("%s %s %s", prov, topic, words(3+r.Intn(4)))
		if code != "" {
			title += " " + code
		}
		body := words(25 + r.Intn(50))
		if code != "" && r.Intn(2) == 0 {
			body += " code " + code
		}
		if err := fn(i, Doc{
			ID: id, Title: title, Body: body, Kind: kind,
			Tags:     []string{prov, topic},
			Provider: prov, Source: "synthetic",
		}); err != nil {
			return err
		}
	}
	return nil
}

// SynthQueries returns n deterministic chat-style questions about a corpus
// made by SynthCorpus: words from a document's title and body, sometimes a
// code in another spelling, a chatty prefix, a typo, or an off-topic line.
func SynthQueries(seed int64, docs []Doc, n int) []string {
	picks := synthQueryPicks(seed, len(docs), n)
	return synthQueryText(seed, picks, func(i int) Doc { return docs[i] })
}

// synthQueryPicks chooses the document behind each question (-1: off-topic).
func synthQueryPicks(seed int64, ndocs, n int) []int {
	r := rand.New(rand.NewSource(seed + 7))
	picks := make([]int, n)
	for i := range picks {
		if r.Intn(20) == 0 {
			picks[i] = -1
		} else {
			picks[i] = r.Intn(ndocs)
		}
	}
	return picks
}

func synthQueryText(seed int64, picks []int, doc func(int) Doc) []string {
	r := rand.New(rand.NewSource(seed + 11))
	prefixes := []string{"", "", "hey ", "why is my ", "anyone seen ", "customer says ", "what does it mean: "}
	offtopic := []string{"what's the weather in Paris", "best pizza near the office", "how do I reset my laptop password", "who won the match last night"}
	qs := make([]string, len(picks))
	for i, pick := range picks {
		if pick < 0 {
			qs[i] = offtopic[r.Intn(len(offtopic))]
			continue
		}
		d := doc(pick)
		tw := strings.Fields(d.Title)
		bw := strings.Fields(d.Body)
		var ws []string
		ws = append(ws, tw[r.Intn(len(tw))])
		for k := 1 + r.Intn(3); k > 0; k-- {
			ws = append(ws, bw[r.Intn(len(bw))])
		}
		if j := strings.LastIndexByte(d.ID, ':'); j > 0 && r.Intn(2) == 0 {
			c := d.ID[j+1:]
			switch {
			case strings.HasPrefix(c, "R"):
				c = "r" + strings.TrimLeft(c[1:], "0")
			case strings.Contains(c, "_"):
				c = strings.ToLower(strings.ReplaceAll(c, "_", " "))
			}
			ws = append(ws, c)
		}
		if r.Intn(10) == 0 {
			w := ws[len(ws)-1]
			if len(w) > 5 {
				b := []byte(w)
				k := 1 + r.Intn(len(b)-2)
				b[k], b[k+1] = b[k+1], b[k]
				ws[len(ws)-1] = string(b)
			}
		}
		qs[i] = prefixes[r.Intn(len(prefixes))] + strings.Join(ws, " ")
	}
	return qs
}
