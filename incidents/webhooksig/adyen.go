package webhooksig

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// AdyenHeader carries the whole-body signature of Adyen's Balance Platform
// and Management webhooks.
const AdyenHeader = "HmacSignature"

// adyenNotification is a standard webhook: {"live": "false",
// "notificationItems": [{"NotificationRequestItem": {...}}]}.
type adyenNotification struct {
	NotificationItems []struct {
		Item *AdyenItem `json:"NotificationRequestItem"`
	} `json:"notificationItems"`
}

// AdyenItem is the part of a NotificationRequestItem that is signed.
type AdyenItem struct {
	PSPReference        string `json:"pspReference"`
	OriginalReference   string `json:"originalReference"`
	MerchantAccountCode string `json:"merchantAccountCode"`
	MerchantReference   string `json:"merchantReference"`
	Amount              struct {
		Value    json.Number `json:"value"`
		Currency string      `json:"currency"`
	} `json:"amount"`
	EventCode string     `json:"eventCode"`
	Success   flexString `json:"success"`
	// AdditionalData is free-form; only hmacSignature (a string) is read.
	AdditionalData map[string]any `json:"additionalData"`
}

// SigningString is Adyen's documented string to sign, the eight fields in
// order joined by ':' (missing ones empty).
func (it *AdyenItem) SigningString() string {
	return strings.Join([]string{it.PSPReference, it.OriginalReference, it.MerchantAccountCode, it.MerchantReference,
		it.Amount.Value.String(), it.Amount.Currency, it.EventCode, string(it.Success)}, ":")
}

// flexString accepts "true" and true alike: Adyen documents success as a
// string, but a payload re-encoded by some tool may carry a boolean.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var v bool
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = flexString(strconv.FormatBool(v))
	return nil
}

// AdyenSign returns base64(HMAC-SHA256(key, signing string)) for item.
func AdyenSign(key []byte, it *AdyenItem) string {
	return b64HMACSHA256(key, []byte(it.SigningString()))
}

func adyenKey(secret []byte) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(string(secret)))
	if err != nil || len(k) == 0 {
		return nil, fmt.Errorf("the HMAC key is not hex")
	}
	return k, nil
}

func verifyAdyen(req Request, r *Result) *Result {
	key, err := adyenKey(req.Secret)
	if err != nil {
		r.step("secret", false, "%v", err)
		return r.fail(ProblemSecret, "The Adyen HMAC key must be the hex string shown when you generated it in the Customer Area (Developers → Webhooks → the webhook → HMAC key).")
	}
	if h := req.Headers.Get(AdyenHeader); h != "" {
		return verifyAdyenBody(req, r, key, h)
	}
	dec := json.NewDecoder(bytes.NewReader(req.Payload))
	dec.UseNumber()
	var n adyenNotification
	if err := dec.Decode(&n); err != nil || len(n.NotificationItems) == 0 {
		r.step("payload", false, "not an Adyen notification with notificationItems")
		return r.fail(ProblemHeader, "This is not an Adyen standard webhook (no notificationItems), and there is no HmacSignature header for a whole-body signature.")
	}
	good, bad, missing := 0, []string{}, 0
	for i, wrap := range n.NotificationItems {
		it := wrap.Item
		if it == nil {
			missing++
			continue
		}
		got, _ := it.AdditionalData["hmacSignature"].(string)
		if got == "" {
			missing++
			r.step(fmt.Sprintf("item %d", i+1), false, "no additionalData.hmacSignature (psp %s)", it.PSPReference)
			continue
		}
		gb, err := base64.StdEncoding.DecodeString(got)
		if err != nil || len(gb) != 32 {
			missing++
			r.step(fmt.Sprintf("item %d", i+1), false, "hmacSignature is not base64 of 32 bytes")
			continue
		}
		if hmac.Equal(gb, hmacSHA256(key, []byte(it.SigningString()))) {
			good++
			r.step(fmt.Sprintf("item %d", i+1), true, "psp %s %s: signature matches", it.PSPReference, it.EventCode)
		} else {
			bad = append(bad, it.PSPReference)
			r.step(fmt.Sprintf("item %d", i+1), false, "psp %s %s: signature does not match", it.PSPReference, it.EventCode)
		}
	}
	switch {
	case missing > 0 && good == 0 && len(bad) == 0:
		return r.fail(ProblemHeader, "No item carries a valid additionalData.hmacSignature: enable HMAC signing for this webhook in the Customer Area, then capture a new delivery.")
	case len(bad) > 0 && good > 0:
		return r.fail(ProblemPayload, fmt.Sprintf("Item(s) %s were altered after signing (other items in the same delivery verify with this key).", strings.Join(bad, ", ")))
	case len(bad) > 0:
		return r.fail(ProblemSecret, "No item's signature matches: most likely the wrong HMAC key (test and live webhooks, and each webhook, have their own; a regenerated key replaces the old one), otherwise the signed fields (pspReference, amount, eventCode, success…) were changed.")
	case missing > 0:
		return r.fail(ProblemHeader, fmt.Sprintf("%d item(s) verify, but %d carry no usable hmacSignature.", good, missing))
	}
	return r.pass(fmt.Sprintf("Valid: all %d item(s) carry a matching Adyen HMAC signature.", good))
}

func verifyAdyenBody(req Request, r *Result, key []byte, h string) *Result {
	gb, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h))
	if err != nil || len(gb) != 32 {
		r.step("header", false, "HmacSignature is not base64 of a 32-byte HMAC-SHA256")
		return r.fail(ProblemHeader, "The HmacSignature header is malformed: it must be base64 of an HMAC-SHA256.")
	}
	r.step("header", true, "HmacSignature present")
	if hmac.Equal(gb, hmacSHA256(key, req.Payload)) {
		r.step("signature", true, "HMAC-SHA256 of the body matches")
		return r.pass("Valid: the HmacSignature header matches the body.")
	}
	for _, v := range variants(req.Payload) {
		if hmac.Equal(gb, hmacSHA256(key, v.body)) {
			r.step("signature", false, "matches only if %s", v.what)
			return r.fail(ProblemPayload, "The payload was altered after Adyen signed it: "+v.what+". Verify the raw body exactly as received.")
		}
	}
	r.step("signature", false, "HMAC-SHA256 of the body does not match")
	return r.fail(ProblemSecret, "The signature does not match: most likely the wrong HMAC key (each webhook has its own), otherwise the body was changed.")
}
