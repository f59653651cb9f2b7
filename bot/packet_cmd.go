package bot

import (
	"github.com/paybot/paybot/incidents"
)

// packetOptions: the packet for the desk is written in the bot's time zone
// with the provider's ids from the config.
func (e *Engine) packetOptions() incidents.PacketOptions {
	return incidents.PacketOptions{Location: e.loc, Policy: e.policy}
}
