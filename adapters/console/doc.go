// Package console is the terminal chat: a line-oriented adapter for trying
// Paybot locally and, with JSON lines in and out, for driving it from
// scripts and tests. Each incident's thread is named after its ref.
package console
