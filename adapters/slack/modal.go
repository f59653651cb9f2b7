package slack

import (
	"context"
	"encoding/json"

	"github.com/slack-go/slack"
)

type modalMeta struct {
	Channel string `json:"c"`
	Thread  string `json:"t,omitempty"`
}

// IncidentModal is the "open incident" form shown for a bare /payissue.
func IncidentModal(channel, thread string) slack.ModalViewRequest {
	meta, _ := json.Marshal(modalMeta{Channel: channel, Thread: thread})
	titleInput := slack.NewPlainTextInputBlockElement(plain("e.g. checkout declines spiking"), "title")
	titleInput.MaxLength = 150
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      openIncidentCallback,
		Title:           plain("Open incident"),
		Submit:          plain("Open"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("title", plain("What is going wrong?"), plain("A short summary; Paybot asks for the details in the thread."), titleInput),
		}},
	}
}

// OpenIncidentModal opens the "open incident" modal with views.open.
func (a *Adapter) OpenIncidentModal(ctx context.Context, triggerID, channel, thread string) error {
	return a.withRetry(ctx, "", func() error {
		_, err := a.api.OpenViewContext(ctx, triggerID, IncidentModal(channel, thread))
		return err
	})
}
