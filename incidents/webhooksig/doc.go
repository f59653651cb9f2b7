// Package webhooksig checks a captured payment webhook against its
// signature, the way each provider documents it, and says which part is
// wrong: the header (missing or malformed), the timestamp (outside the
// tolerance: a replay or a clock problem), the payload (changed after
// signing, for example re-serialised JSON or a stripped newline, detected by
// re-checking common alterations), or the secret.
//
// Sources:
//
//   - Stripe: https://docs.stripe.com/webhooks#verify-manually — header
//     Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]; v1 is
//     HMAC-SHA256(endpoint secret "whsec_…", "<t>.<raw body>"); default
//     tolerance 300 s.
//   - Adyen: https://docs.adyen.com/development-resources/webhooks/verify-hmac-signatures
//     — for standard webhooks, base64(HMAC-SHA256(hex-decoded HMAC key,
//     pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success))
//     must equal NotificationRequestItem.additionalData.hmacSignature, per
//     item; for webhooks that sign the whole body (Balance Platform,
//     Management API) the HmacSignature header holds base64(HMAC-SHA256(key, body)).
//   - PayPal: https://developer.paypal.com/api/rest/webhooks/rest/ — the
//     signed message is "<PAYPAL-TRANSMISSION-ID>|<PAYPAL-TRANSMISSION-TIME>|<webhook id>|<CRC32 of the body, decimal>",
//     signed SHA256withRSA (PAYPAL-AUTH-ALGO) with the key of the
//     certificate at PAYPAL-CERT-URL; PAYPAL-TRANSMISSION-SIG is base64.
//     Offline, Paybot checks the headers, the timestamp and the CRC32 and, given
//     the certificate (PEM), the RSA signature. It never downloads the
//     certificate itself; alternatively it sends PayPal's documented
//     POST /v1/notifications/verify-webhook-signature request to a URL you
//     give, with an access token from the environment.
//   - Braintree: https://developer.paypal.com/braintree/docs/guides/webhooks/parse
//     and the Braintree SDKs' WebhookNotificationGateway — bt_signature is
//     "<public key>|<hex HMAC-SHA1(SHA1(private key), bt_payload)>" (several
//     pairs joined by "&"); bt_payload is base64.
//
// Every comparison of a signature is constant-time (hmac.Equal). No secret
// is ever put into a Result.
package webhooksig
