package webhooksig_test

import (
	"crypto/hmac"
	"encoding/hex"
	"hash"
)

func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

func hmacHex(h func() hash.Hash, key, msg []byte) string {
	return hex.EncodeToString(hmacSum(h, key, msg))
}

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }
