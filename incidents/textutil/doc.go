// Package textutil cuts and splits text for platforms with length limits
// (Slack sections of 3,000 characters, Discord messages of 2,000, titles,
// thread names) without breaking what a reader sees: a cut never falls
// inside a UTF-8 character, a grapheme cluster (an emoji with its
// modifiers, a letter with its combining accents, a flag) or an HTML
// entity such as "&amp;" (Slack text is entity-escaped). Every cut and
// split in the product goes through here.
//
// Lengths are counted in Unicode code points ("characters"), the unit
// Slack and Discord count in. Grapheme clusters come from
// github.com/rivo/uniseg (Unicode UAX #29), a small dependency-free
// implementation: getting cluster rules right by hand is a known trap.
package textutil
