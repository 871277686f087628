package bench

import (
	"context"
	"net/http"

	"github.com/kenarkit/kenarkit/sdk/server"

	"github.com/go-faster/jx"
	"github.com/kenarkit/kenarkit/bench/ogen"
)

// ogenAddon answers as Addon does, through ogen's types.
type ogenAddon struct{}

var _ ogen.Handler = ogenAddon{}

func (ogenAddon) OpenServerLink(ctx context.Context, req *ogen.OpenServerLinkRequest, _ ogen.OpenServerLinkParams) (ogen.OpenServerLinkRes, error) {
	return &ogen.OpenServerLinkResponse{URL: ogen.AbsoluteURL(Landing(string(req.PostToken.Value), ogenString(req.ExtraData.Value, DataKey)))}, nil
}

func (ogenAddon) DynamicAction(ctx context.Context, req *ogen.DynamicActionRequest, _ ogen.DynamicActionParams) (ogen.DynamicActionRes, error) {
	return &ogen.DynamicActionResponse{
		Action: ogen.NewOptAction(ogen.Action{OpenServerLink: ogen.NewOptOpenServerLinkAction(ogen.OpenServerLinkAction{
			Data: ogen.ActionData{"step": jx.Raw(`"2"`)},
		})}),
		TextMessage: ogen.NewOptString(Text(ogenString(req.ExtraData.Value, DataKey))),
	}, nil
}

func (ogenAddon) Events(ctx context.Context, req *ogen.Event) (ogen.EventsRes, error) {
	return &ogen.EventAck{}, nil
}

// ogenKey checks the identification key as kenarkit does.
// ogenString returns data[key] if it is a JSON string, as sdk's
// RawData.String does.
func ogenString(data ogen.Data, key string) string {
	raw, ok := data[key]
	if !ok {
		return ""
	}
	s, err := jx.DecodeBytes(raw).Str()
	if err != nil {
		return ""
	}
	return s
}

type ogenKey struct{}

func (ogenKey) HandleDivarKey(ctx context.Context, _ ogen.OperationName, t ogen.DivarKey) (context.Context, error) {
	return ctx, server.CheckKey(t.APIKey, Key)
}

// Ogen is (d): an ogen-generated server for the same spec (bench/ogen),
// which checks the key and validates requests with generated code.
func Ogen() http.Handler {
	s, err := ogen.NewServer(ogenAddon{}, ogenKey{})
	if err != nil {
		panic(err)
	}
	return s
}
