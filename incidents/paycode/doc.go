// Package paycode is the one payment-code vocabulary of Paybot: the intake's
// code extraction (incidents.ExtractCodes) and the knowledge base (kb, at
// index time and at query time) both reduce a code to the key returned by
// Canonical, so every spelling of one code meets.
//
// A code is a token of letters and digits, possibly zero-padded, possibly
// joined by a hyphen, an underscore, a dot or a space:
//
//	05, 5, 005                    -> "05"    ISO 8583 field 39, 3DS reasons
//	051 (ISO 8583:1993 action)    -> "51"    numbers keep at least two digits
//	2046, 20051, 429, 502         -> "2046", "20051", "429", "502"
//	R01, r1, R-01, r_01, "r 01"   -> "r01"   NACHA returns, letters + number
//	E0054, e-0054, E_0054, e 0054 -> "e54"   gateway codes with a prefix
//	do_not_honor, do-not-honor, "do not honor", DO_NOT_HONOUR -> "do_not_honor"
//	INSTRUMENT_DECLINED           -> "instrument_declined"
//
// Keys are lower case ASCII; Display gives the conventional way to show one
// (R01, INSTRUMENT_DECLINED). FamilyOf gives a code system's family and the
// public page that documents it (Nacha return codes, ISO 8583 network
// codes, Adyen refusal reasons, …): the link an answer about such a code
// shows. The package imports nothing from chat or storage, so any layer
// may use it.
package paycode
