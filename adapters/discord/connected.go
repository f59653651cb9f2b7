package discord

// Connected reports whether the adapter can receive events: always in http
// mode, and in gateway or both modes once the gateway session is ready
// (discordgo clears DataReady when the connection drops and sets it again on
// resume). `paybot serve` shows it in /readyz.
func (a *Adapter) Connected() bool {
	if !a.cfg.Gateway() {
		return true
	}
	if a.session == nil {
		return false
	}
	a.session.RLock()
	defer a.session.RUnlock()
	return a.session.DataReady
}
