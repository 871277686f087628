package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
	"github.com/labstack/echo/v4"
)

// askTimeout bounds sending the question within one delivery of a start,
// so that Divar has the event's answer well within the 2 s its standards
// allow (kenar-docs docs/misc/standards.md): a Retry-After longer than what
// is left, or a slow Divar, ends the attempt, and the event is answered 500
// for Divar to deliver again.
const askTimeout = 1500 * time.Millisecond

// errNoClient: the add-on has no API key, so it cannot send.
var errNoClient = errors.New(addonenv.APIKeyVar + " is not set: the add-on cannot send chat messages (set the API key from the Kenar panel)")

// chatbotMessage asks the question when a user starts the chat bot: Divar
// sends "/start …" as the first message from whichever touchpoint opened it.
// Other messages are acknowledged and not answered.
//
// The question is asked at most once per start: the client sends it
// through the event.Mux's deduper, which records the send as started before
// it is made (dedupe.Once). chatbotMessage returns the error of a send that
// a later delivery may get through: the event.Mux answers 500, so that Divar
// delivers the start again, when nothing was sent (Divar's rate limit
// outlasted the retries, Divar could not be reached), and acknowledges
// the start, logged and reported as unfinished, when Divar may have taken
// the message (a 5xx, no answer in time): it is not sent again.
func (a *Addon) chatbotMessage(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
	if _, ok := sdk.ParseStart(m.Text); !ok {
		return nil
	}
	if m.Conversation == nil || m.Conversation.ID == "" {
		a.logger.LogAttrs(ctx, slog.LevelWarn, "chat bot started without a conversation id: nothing to answer",
			slog.String("message_id", m.ID))
		return nil
	}
	conversation := m.Conversation.ID
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	err := a.ask(ctx, conversation)
	switch {
	case err == nil, errors.Is(err, errNoClient):
		return nil // errNoClient is logged once, by ask
	case redeliver(err):
		return fmt.Errorf("asking in conversation %s: %w", conversation, err)
	case errors.Is(err, divar.ErrRecipientBlocked):
		a.logger.LogAttrs(ctx, slog.LevelInfo, "the user blocked the chat bot: the question was not delivered",
			slog.String("conversation_id", conversation))
	case errors.Is(err, divar.ErrMalformedAnswer):
		a.logger.LogAttrs(ctx, slog.LevelWarn, "Divar took the question but its answer could not be read: not sending it again",
			slog.String("conversation_id", conversation), slog.String("error", err.Error()))
	default: // a refusal another delivery would meet again
		a.logger.LogAttrs(ctx, slog.LevelError, "Divar refused the question: check the API key and its CHAT_BOT_SEND_MESSAGE permission in the Kenar panel",
			slog.String("conversation_id", conversation), slog.String("error", err.Error()))
	}
	return nil
}

// redeliver reports whether err is a failure a later delivery may not meet:
// a 429 still in force, a 5xx, a timeout or a connection lost. (Of these,
// the event.Mux has Divar deliver again only what was not sent.) A message
// refused before sending, or refused by Divar for what it is, would be
// refused again; one Divar accepted with an answer that could not be read
// (ErrMalformedAnswer, after a 2xx) was sent.
func redeliver(err error) bool {
	if errors.Is(err, sdk.ErrInvalidAnswer) || errors.Is(err, divar.ErrMalformedAnswer) {
		return false
	}
	var refused *divar.APIError
	if errors.As(err, &refused) {
		return refused.StatusCode == http.StatusTooManyRequests || refused.StatusCode == http.StatusRequestTimeout ||
			refused.StatusCode >= 500
	}
	return true
}

// ask sends ConfirmMessage into the chat-bot conversation.
func (a *Addon) ask(ctx context.Context, conversation string) error {
	if a.client == nil {
		a.noClient.Do(func() {
			a.logger.LogAttrs(ctx, slog.LevelWarn, "not sending the yes/no question (logged once)",
				slog.String("reason", errNoClient.Error()), slog.String("conversation_id", conversation))
		})
		return errNoClient
	}
	if _, err := a.client.SendBotMessage(ctx, conversation, ConfirmMessage()); err != nil {
		return err
	}
	a.logger.LogAttrs(ctx, slog.LevelInfo, "asked the yes/no question", slog.String("conversation_id", conversation))
	return nil
}

// Ask serves POST /ask?conversation_id=…: it sends the question into a
// chat-bot conversation, as a /start does. It is the operator's, so it takes
// the identification key in Authorization, as Divar's calls do. It answers
// {"conversation_id":…} once Divar has the message.
func (a *Addon) Ask(c echo.Context) error {
	if err := server.CheckKey(c.Request().Header.Get(echo.HeaderAuthorization), a.keys...); err != nil {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, server.WWWAuthenticate)
		return sdk.NewProblem(http.StatusUnauthorized, "send the identification key in Authorization, as Divar does")
	}
	conversation := c.QueryParam("conversation_id")
	if conversation == "" {
		return sdk.NewProblem(http.StatusBadRequest, "conversation_id is missing: POST /ask?conversation_id=<a chat-bot conversation id>")
	}
	err := a.ask(c.Request().Context(), conversation)
	switch {
	case err == nil:
		return c.JSON(http.StatusOK, map[string]string{"conversation_id": conversation})
	case errors.Is(err, errNoClient):
		return sdk.NewProblem(http.StatusServiceUnavailable, errNoClient.Error())
	case errors.Is(err, sdk.ErrInvalidAnswer):
		return sdk.NewProblem(http.StatusBadRequest, "conversation_id is not a conversation id Divar accepts")
	case errors.Is(err, divar.ErrRecipientBlocked):
		return sdk.NewProblem(http.StatusConflict, "the user blocked the chat bot: the question was not delivered")
	}
	return sdk.NewProblem(http.StatusBadGateway, "Divar did not take the message: "+err.Error())
}
