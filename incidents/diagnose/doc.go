// Package diagnose checks the path from this host to a payment gateway's
// API, one layer at a time, and says in plain words what each result means
// for a payments team: DNS resolution (addresses, time), the TCP connect
// time, the TLS handshake (version, cipher), the certificate chain against
// the trusted roots, the host name match, the days until the certificate
// expires, and the HTTP status and latency of the endpoint.
//
// The TLS handshake is made without Go's built-in verification so that each
// part is judged and reported on its own (an expired certificate and an
// untrusted one are different problems with different owners); the chain
// is then verified with crypto/x509 exactly as a client would, and the HTTP
// check uses a normally verifying client, so a diagnosis never trusts what
// a payment call would not.
//
// Everything runs under the caller's context; Run bounds the whole
// diagnosis by Config.Timeout (10 s by default).
package diagnose
