package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/paybot/paybot/adapters/console"
	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/kb"
)

// BenchmarkConsoleAnswer100k: a question typed in the console chat, through
// the engine, a search of a 100,000-document index and the durable inbox
// mark, to the reply written by the console adapter.
//
//	go test -run '^$' -bench ConsoleAnswer100k -benchtime 2000x ./cmd/paybot
func BenchmarkConsoleAnswer100k(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	const docs = 100000
	index, err := kb.Open(ctx, filepath.Join(dir, "kb"), kb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer index.Close()
	corpus := kb.SynthCorpus(1, docs)
	for i := 0; i < len(corpus); i += 1000 {
		if err := index.Upsert(ctx, corpus[i:min(i+1000, len(corpus))]...); err != nil {
			b.Fatal(err)
		}
	}
	questions := kb.SynthQueries(2, corpus, 2000)
	corpus = nil
	store, err := sqlite.Open(ctx, filepath.Join(dir, "paybot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	eng := bot.NewEngine(bot.Config{Store: store, KB: &kbSearcher{index: index}})
	eng.AddAdapter(console.New(console.Options{Out: io.Discard, JSON: true}))

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := bot.Event{
			ID: fmt.Sprintf("console:bench-%d", i), Kind: bot.EventMessage, Mention: true,
			Conversation: bot.Conversation{Platform: console.Platform, Channel: console.Channel},
			User:         bot.User{Platform: console.Platform, ID: "ana"},
			Text:         questions[i%len(questions)],
		}
		start := time.Now()
		if err := eng.HandleEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
