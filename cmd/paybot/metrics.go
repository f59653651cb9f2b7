package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
)

// metrics holds Paybot's Prometheus metrics. The core (bot, incidents) does
// not import client_golang: the counters are fed by decorators in this
// package around the store, the event handler, the HTTP routes and the
// knowledge base, and the gauges are read from the store on each scrape.
type metrics struct {
	reg *prometheus.Registry

	eventsReceived     *prometheus.CounterVec
	eventsDeduplicated *prometheus.CounterVec
	eventsProcessed    *prometheus.CounterVec
	ackSeconds         *prometheus.HistogramVec
	outboxDelivered    prometheus.Counter
	outboxRetried      prometheus.Counter
	outboxFailed       prometheus.Counter
	jobsClaimed        *prometheus.CounterVec
	jobsLate           *prometheus.CounterVec
	searchSeconds      prometheus.Histogram
	storeErrors        prometheus.Counter
}

// lateAfter is how long after its due time a job counts as late: the
// scheduler ticks every second, so more than this means it fell due while no
// replica was running, or the replicas could not keep up.
const lateAfter = 30 * time.Second

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.eventsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paybot_events_received_total", Help: "Platform events received, redeliveries included.",
	}, []string{"platform"})
	m.eventsDeduplicated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paybot_events_deduplicated_total", Help: "Platform events recognised as redeliveries and dropped.",
	}, []string{"platform"})
	m.eventsProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paybot_events_processed_total", Help: "Platform events that took effect (marked processed in the store).",
	}, []string{"platform"})
	m.ackSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "paybot_ack_duration_seconds",
		Help:    "Time to acknowledge a platform request (HTTP handler duration of /slack/* and /discord/*).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 3},
	}, []string{"platform"})
	m.outboxDelivered = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "paybot_outbox_delivered_total", Help: "Outbox notifications delivered.",
	})
	m.outboxRetried = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "paybot_outbox_retried_total", Help: "Outbox delivery attempts that failed and will be retried.",
	})
	m.outboxFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "paybot_outbox_failed_total", Help: "Outbox notifications given up for good.",
	})
	m.jobsClaimed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paybot_jobs_claimed_total", Help: "Due jobs (ladder steps, SLA timers, reminders) claimed by this process.",
	}, []string{"kind"})
	m.jobsLate = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paybot_jobs_late_total", Help: "Jobs claimed more than 30 s after their due time.",
	}, []string{"kind"})
	m.searchSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "paybot_search_duration_seconds",
		Help:    "Knowledge-base search latency.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	m.storeErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "paybot_store_stats_errors_total", Help: "Scrapes whose store gauges could not be read.",
	})
	// Every series of a known label value exists from the start, at 0: a
	// series that appears only with its first increment hides that
	// increment from rate() and increase(), so the first redelivery, late
	// job or failure would never show on a graph or fire an alert.
	for _, p := range []string{"slack", "discord"} {
		m.eventsReceived.WithLabelValues(p)
		m.eventsDeduplicated.WithLabelValues(p)
		m.eventsProcessed.WithLabelValues(p)
		m.ackSeconds.WithLabelValues(p)
	}
	for _, k := range jobKinds {
		m.jobsClaimed.WithLabelValues(string(k))
		m.jobsLate.WithLabelValues(string(k))
	}
	m.reg.MustRegister(m.eventsReceived, m.eventsDeduplicated, m.eventsProcessed, m.ackSeconds,
		m.outboxDelivered, m.outboxRetried, m.outboxFailed, m.jobsClaimed, m.jobsLate, m.searchSeconds, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// collectStore adds the gauges read from store at each scrape.
func (m *metrics) collectStore(store fullStore, now func() time.Time, log *slog.Logger) {
	m.reg.MustRegister(&storeCollector{store: store, now: now, m: m, log: log})
}

// handler serves /metrics.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// instrumentAck times every request to the platform routes: that duration
// is what Slack and Discord wait for as the acknowledgement.
func (m *metrics) instrumentAck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		platform := ""
		switch {
		case strings.HasPrefix(r.URL.Path, "/slack/"):
			platform = "slack"
		case strings.HasPrefix(r.URL.Path, "/discord/"):
			platform = "discord"
		}
		if platform == "" {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		next.ServeHTTP(w, r)
		m.ackSeconds.WithLabelValues(platform).Observe(time.Since(start).Seconds())
	})
}

// countingHandler counts events handed to the engine by the adapters.
type countingHandler struct {
	next bot.Handler
	m    *metrics
}

func (h countingHandler) HandleEvent(ctx context.Context, ev bot.Event) error {
	h.m.eventsReceived.WithLabelValues(platformLabel(ev.Conversation.Platform)).Inc()
	return h.next.HandleEvent(ctx, ev)
}

// platformLabel keeps label values to a known set.
func platformLabel(p string) string {
	switch p {
	case "slack", "discord", "console":
		return p
	}
	return "other"
}

// platformOfKey reads the platform from an event key ("slack:Ev123").
func platformOfKey(key string) string {
	p, _, _ := strings.Cut(key, ":")
	return platformLabel(p)
}

// storeCollector reads gauges from the store at scrape time, so every
// replica reports the shared numbers without keeping them in memory.
type storeCollector struct {
	store fullStore
	now   func() time.Time
	m     *metrics
	log   *slog.Logger
}

var (
	descIncidents     = prometheus.NewDesc("paybot_incidents", "Incidents in the store by status and severity.", []string{"status", "severity"}, nil)
	descOutboxPending = prometheus.NewDesc("paybot_outbox_pending", "Outbox notifications not yet delivered.", nil, nil)
	descOutboxDead    = prometheus.NewDesc("paybot_outbox_dead", "Outbox notifications given up for good.", nil, nil)
	descJobsDue       = prometheus.NewDesc("paybot_jobs_due", "Pending jobs already due (should stay near 0).", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descIncidents
	ch <- descOutboxPending
	ch <- descOutboxDead
	ch <- descJobsDue
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.store.Stats(ctx, c.now())
	if err != nil {
		c.m.storeErrors.Inc()
		c.log.Warn("metrics: reading store stats", "err", err)
		return
	}
	for _, x := range st.Incidents {
		ch <- prometheus.MustNewConstMetric(descIncidents, prometheus.GaugeValue, float64(x.N), string(x.Status), x.Severity.String())
	}
	ch <- prometheus.MustNewConstMetric(descOutboxPending, prometheus.GaugeValue, float64(st.OutboxPending))
	ch <- prometheus.MustNewConstMetric(descOutboxDead, prometheus.GaugeValue, float64(st.OutboxDead))
	ch <- prometheus.MustNewConstMetric(descJobsDue, prometheus.GaugeValue, float64(st.JobsDue))
}

// jobKinds are the kinds of job the scheduler runs, the values of the jobs
// metrics' kind label.
var jobKinds = []incidents.JobKind{incidents.JobLadderStep, incidents.JobSLAWarning, incidents.JobSLABreach,
	incidents.JobUpdateReminder, incidents.JobDigest}

// jobKindLabel keeps the kind label to jobKinds: a kind read from the
// store that this binary does not know (a newer replica's) counts as other.
func jobKindLabel(k incidents.JobKind) string {
	if slices.Contains(jobKinds, k) {
		return string(k)
	}
	return "other"
}

// observeJobs counts claimed jobs and the late ones.
func (m *metrics) observeJobs(now time.Time, jobs []incidents.Job) {
	for _, j := range jobs {
		m.jobsClaimed.WithLabelValues(jobKindLabel(j.Kind)).Inc()
		if now.Sub(j.DueAt) > lateAfter {
			m.jobsLate.WithLabelValues(jobKindLabel(j.Kind)).Inc()
		}
	}
}
