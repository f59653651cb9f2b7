package slack

// Connected reports whether the adapter can receive events: always over
// HTTP alone, and in Socket Mode while the websocket is connected.
// `paybot serve` shows it in /readyz.
func (a *Adapter) Connected() bool {
	if !a.SocketMode() {
		return true
	}
	return a.socketUp.Load()
}
