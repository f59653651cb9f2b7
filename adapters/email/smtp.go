// Package email delivers Paybot's escalation emails over SMTP with net/smtp.
// It implements bot.Mailer; the outbox retries a failed send, and an SMTP 4xx
// reply becomes a bot.RetryAfterError.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/paybot/paybot/bot"
)

// Config is the smtp section of the config file.
type Config struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	// Password is better set in PAYBOT_SMTP_PASSWORD.
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	// TLS is "starttls" (default: upgrade when the server offers it),
	// "tls" (implicit TLS, port 465) or "none".
	TLS string `yaml:"tls"`
	// InsecureSkipVerify is for test servers only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Problems lists what is wrong with c, for `paybot config check`.
func (c Config) Problems() []string {
	var out []string
	if c.Host == "" {
		return nil
	}
	if c.From == "" {
		out = append(out, "smtp: from is required (the sender address)")
	}
	switch c.TLS {
	case "", "starttls", "tls", "none":
	default:
		out = append(out, fmt.Sprintf("smtp: tls must be starttls, tls or none, not %q", c.TLS))
	}
	return out
}

// Mailer sends mail through one SMTP server.
type Mailer struct {
	cfg     Config
	Timeout time.Duration
}

var _ bot.Mailer = (*Mailer)(nil)

// New returns a mailer for cfg; port defaults to 587 (465 with tls).
func New(cfg Config) *Mailer {
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == "tls" {
			cfg.Port = 465
		}
	}
	return &Mailer{cfg: cfg, Timeout: 30 * time.Second}
}

// SendMail sends one plain-text message to the recipients.
func (m *Mailer) SendMail(ctx context.Context, to []string, subject, body string) error {
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	d := net.Dialer{Timeout: m.Timeout}
	var conn net.Conn
	var err error
	tlsCfg := &tls.Config{ServerName: m.cfg.Host, InsecureSkipVerify: m.cfg.InsecureSkipVerify}
	if m.cfg.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: connecting to %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(m.Timeout))
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return classify(err)
	}
	defer c.Close()
	if m.cfg.TLS == "" || m.cfg.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return classify(err)
			}
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return classify(err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return classify(err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return classify(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify(err)
	}
	msg := "From: " + m.cfg.From + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + clean(subject) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return classify(err)
	}
	if err := w.Close(); err != nil {
		return classify(err)
	}
	return c.Quit()
}

func clean(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

// classify turns a temporary SMTP failure (4xx) into a RetryAfterError.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 && te.Code < 500 {
		return &bot.RetryAfterError{After: time.Minute, Err: err}
	}
	return fmt.Errorf("smtp: %w", err)
}
