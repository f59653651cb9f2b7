package discord

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Modes of receiving interactions.
const (
	ModeGateway = "gateway"
	ModeHTTP    = "http"
	ModeBoth    = "both"
)

// Config is the adapter's configuration, read from DISCORD_* settings.
type Config struct {
	Token     string // DISCORD_BOT_TOKEN, without the "Bot " prefix
	AppID     string // DISCORD_APP_ID
	PublicKey string // DISCORD_PUBLIC_KEY, hex
	GuildID   string // DISCORD_GUILD_ID; registration is guild-scoped when set
	APIURL    string // DISCORD_API_URL; REST calls go there instead of discord.com
	Mode      string // DISCORD_MODE: gateway, http or both
}

// Keys lists the settings the adapter reads.
var Keys = []string{"DISCORD_BOT_TOKEN", "DISCORD_APP_ID", "DISCORD_PUBLIC_KEY", "DISCORD_GUILD_ID", "DISCORD_API_URL", "DISCORD_MODE"}

// ConfigFromLookup reads the DISCORD_* settings. configured is false when none
// is present. An error names what is missing or malformed in a half-configured
// setup.
func ConfigFromLookup(lookup func(string) string) (cfg Config, configured bool, err error) {
	get := func(k string) string { return strings.TrimSpace(lookup(k)) }
	for _, k := range Keys {
		if get(k) != "" {
			configured = true
		}
	}
	if !configured {
		return Config{}, false, nil
	}
	cfg = Config{
		Token:     strings.TrimPrefix(get("DISCORD_BOT_TOKEN"), "Bot "),
		AppID:     get("DISCORD_APP_ID"),
		PublicKey: get("DISCORD_PUBLIC_KEY"),
		GuildID:   get("DISCORD_GUILD_ID"),
		APIURL:    get("DISCORD_API_URL"),
		Mode:      strings.ToLower(get("DISCORD_MODE")),
	}
	return cfg, true, cfg.Validate()
}

// Validate reports a half-configured or malformed setup.
func (c *Config) Validate() error {
	var errs []error
	if c.Mode == "" {
		switch {
		case c.PublicKey != "" && c.Token != "":
			c.Mode = ModeBoth
		case c.PublicKey != "":
			// Without a bot token there can be no gateway; interactions
			// still work and are answered through their tokens.
			c.Mode = ModeHTTP
		default:
			c.Mode = ModeGateway
		}
	}
	switch c.Mode {
	case ModeGateway, ModeHTTP, ModeBoth:
	default:
		errs = append(errs, fmt.Errorf("DISCORD_MODE=%q: want gateway, http or both", c.Mode))
	}
	if c.Mode != ModeHTTP && c.Token == "" {
		errs = append(errs, fmt.Errorf("DISCORD_BOT_TOKEN is required for DISCORD_MODE=%s (the gateway needs it)", c.Mode))
	}
	if c.Mode != ModeGateway {
		if c.PublicKey == "" {
			errs = append(errs, fmt.Errorf("DISCORD_PUBLIC_KEY is required for DISCORD_MODE=%s (HTTP interactions are verified with it)", c.Mode))
		} else if b, err := hex.DecodeString(c.PublicKey); err != nil || len(b) != 32 {
			errs = append(errs, errors.New("DISCORD_PUBLIC_KEY must be the application's 64-hex-digit Ed25519 public key"))
		}
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("DISCORD_API_URL=%q: want an http(s) URL such as http://127.0.0.1:8089", c.APIURL))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("discord: half-configured: %w", errors.Join(errs...))
	}
	return nil
}

// Gateway reports whether the mode connects to the gateway.
func (c Config) Gateway() bool { return c.Mode == ModeGateway || c.Mode == ModeBoth }

// HTTP reports whether the mode serves HTTP interactions.
func (c Config) HTTP() bool { return c.Mode == ModeHTTP || c.Mode == ModeBoth }
