package redact

import (
	"strings"
	"testing"
)

// TestRedactFormats covers the kinds issue 9 found missing: separators,
// Unicode digits, zero-width characters, URL escapes, wrapped numbers,
// CVVs in words, HTTP credentials of any scheme, cloud keys, key=value /
// JSON / YAML / header secrets, credentials in URLs. leak is the text that
// must not survive; keep is text that must.
func TestRedactFormats(t *testing.T) {
	for _, tt := range []struct {
		name, in, leak, keep string
	}{
		{"dots", "txn 4111.1111.1111.1111 failed", "1111.1111", "txn "},
		{"slashes", "4111/1111/1111/1111", "1111/1111", ""},
		{"underscores", "4111_1111_1111_1111", "1111_1111", ""},
		{"commas", "4111,1111,1111,1111", "1111,1111", ""},
		{"colons", "4111:1111:1111:1111", "1111:1111", ""},
		{"tabs", "4111\t1111\t1111\t1111", "1111\t1111", ""},
		{"double spaces", "4111  1111  1111  1111", "1111  1111", ""},
		{"en dash", "4111–1111–1111–1111", "1111–1111", ""},
		{"em dash", "4111—1111—1111—1111", "1111—1111", ""},
		{"mixed", "4111 1111-1111.1111", "1111-1111", ""},
		{"space dash space", "4111 - 1111 - 1111 - 1111", "1111 - 1111", ""},
		{"zero-width space", "4111\u200b1111\u200b1111\u200b1111", "1111\u200b1111", ""},
		{"zero-width in run", "41111111\u200d11111111", "41111111", ""},
		{"soft hyphen", "4111\u00ad1111\u00ad1111\u00ad1111", "1111\u00ad", ""},
		{"fullwidth", "card ４１１１１１１１１１１１１１１１ ok", "１１１１１１", "card "},
		{"arabic-indic", "٤١١١١١١١١١١١١١١١", "١١١١١١", ""},
		{"devanagari", "४१११ ११११ ११११ ११११", "११११ ११११", ""},
		{"url %20", "https://x.example/pay?n=4111%201111%201111%201111&ok=1", "1111%201111", "&ok=1"},
		{"url plus", "n=4111+1111+1111+1111&ok", "1111+1111", "&ok"},
		{"line break", "card 4111 1111\n1111 1111 thanks", "1111\n1111", "thanks"},
		{"wrapped run", "pan 4111111111\n111111 end", "4111111111", "end"},
		{"crlf", "4111 1111 1111\r\n1111", "1111\r\n1111", ""},
		{"19 digits 4-6-9", "6212 345678 901234569", "345678", ""},
		{"amex 4-6-5 dots", "3782.822463.10005", "822463", ""},
		{"nbsp thin", "4111\u20091111\u20091111\u20091111", "1111\u2009", ""},

		{"cvv words", "the 3 digits on the back are 123", "123", "back are "},
		{"cvv three digit", "three digit code: 987", "987", "code: "},
		{"cvv back of card", "number on the back of the card is 456", "456", ""},
		{"security code", "security code: 123", "123", ""},
		{"cvc2", "cvc2 123", "123", ""},
		{"ccv", "ccv=321", "321", ""},

		{"basic header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "Authorization: Basic "},
		{"basic bare", "sent Basic dXNlcjpwYXNzd29yZA== to them", "dXNlcjpwYXNzd29yZA", "to them"},
		{"digest", `Authorization: Digest username="bob", realm="x", response="6629fae49393a05397450978507c4ef1"`, "6629fae4", "Authorization: Digest "},
		{"token scheme", "authorization: token 0123456789abcdef0123", "0123456789abcdef", "authorization: token "},
		{"custom scheme", `"Authorization": "SharedKey acct:c2VjcmV0a2V5"`, "c2VjcmV0a2V5", `"Authorization": "SharedKey `},
		{"bare credential", "Authorization: Zm9vOmJhcmJhejEyMw", "Zm9vOmJhcmJhejEyMw", ""},
		{"curl -u", "curl -u admin:hunter2 https://api.example.com", "hunter2", "https://api.example.com"},
		{"curl --user", "curl --user 'admin:s3cr3t pass' https://x", "s3cr3t", "https://x"},

		{"aws access key", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", ""},
		{"aws temp key", "ASIAY34FZKBOKMUTVV7A in logs", "ASIAY34FZKBOKMUTVV7A", "in logs"},
		{"aws secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", ""},
		{"gcp", "key AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA12345", ""},
		{"azure", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core", "Zm9vYmFy", "EndpointSuffix=core"},
		{"github", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij", ""},
		{"slack xoxc", "xoxc-1234567890-abcdef", "xoxc-1234567890", ""},

		{"password kv", "password=Tr0ub4dor&3 next", "Tr0ub4dor", "next"},
		{"password json", `{"user":"bob","password":"correct horse"}`, "correct horse", `"user":"bob"`},
		{"password yaml", "db:\n  password: hunter2\n  host: x", "hunter2", "host: x"},
		{"passwd", "PASSWD: letmein", "letmein", ""},
		{"api_key kv", "api_key=abcd1234efgh", "abcd1234efgh", ""},
		{"access_token json", `"access_token": "ya29.a0AfH6SMBx3k"`, "ya29.a0AfH6SMBx3k", ""},
		{"token header", "X-Auth-Token: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a", ""},

		{"url creds", "postgres://paybot:s3cretpw@db.internal:5432/x", "s3cretpw", "@db.internal"},
		{"url token", "https://hooks.example.com/cb?token=abc123def456&ok=1", "abc123def456", "&ok=1"},
		{"url sig", "https://x.blob.core.windows.net/c?sv=2020&sig=AbCd%2BeFgH1234", "AbCd", "sv=2020"},
		{"url key", "https://maps.example.com/api?key=ZZ12345678", "ZZ12345678", ""},
		{"pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA7", "-----END"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, fs := Redact(tt.in)
			if len(fs) == 0 || strings.Contains(out, tt.leak) || (tt.keep != "" && !strings.Contains(out, tt.keep)) {
				t.Errorf("Redact(%q) = %q %v", tt.in, out, fs)
			}
			if again, fs2 := Redact(out); again != out || len(fs2) != 0 {
				t.Errorf("not idempotent: %q -> %q (%v)", out, again, fs2)
			}
		})
	}
	for _, neg := range []string{
		"card_declined 1764489612341",
		"authorization failed for order 12",
		"the password reset mail never arrived",
		"the secret sauce is 42",
		"pk_live_51HxYz2eZvKYlo2C0abcdef123", // publishable keys are public by design
		"we got back 1234 declines",
		"https://status.example.com/?page=2",
		"IBAN DE89 3704 0044 0532 0130 00",
		"call +44 7911 123456",
		"2024-05-12 14:03:22.123",
		"550e8400-e29b-41d4-a716-446655440000",
		"Basic auth is enabled",
	} {
		if out, fs := Redact(neg); len(fs) > 0 {
			t.Errorf("false positive: %q -> %q %v", neg, out, fs)
		}
	}
}
