package sdk_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// specTypes are the hand-written types the spec binds with x-go-type, by
// the x-go-type that names them.
var specTypes = map[string]any{
	"sdk.OpenServerLinkRequest":  sdk.OpenServerLinkRequest{},
	"sdk.DynamicActionRequest":   sdk.DynamicActionRequest{},
	"sdk.OpenServerLinkResponse": sdk.OpenServerLinkResponse{},
	"sdk.DynamicActionResponse":  sdk.DynamicActionResponse{},
	"sdk.Action":                 sdk.Action{},
	"sdk.DataPayload":            sdk.DataPayload{},
	"sdk.PostPayload":            sdk.PostPayload{},
	"event.Event":                event.Event{},
	"event.ChatMessage":          event.ChatMessage{},
	"event.Conversation":         event.Conversation{},
	"event.Sender":               event.Sender{},
	"event.ImageData":            event.ImageData{},
	"event.FileData":             event.FileData{},
	"event.VoiceData":            event.VoiceData{},
	"event.LocationData":         event.LocationData{},
	"event.VideoData":            event.VideoData{},
	"event.ContactData":          event.ContactData{},
	"event.UserAccessRevocation": event.UserAccessRevocation{},
	"event.PostUpdate":           event.PostUpdate{},
	"event.PostInfo":             event.PostInfo{},
	"event.PaymentTransaction":   event.PaymentTransaction{},
	"event.Ack":                  event.Ack{},
	"sdk.Problem":                sdk.Problem{},
	"sdk.FieldError":             sdk.FieldError{},
	"sdk.Data":                   sdk.Data{},    // a map: any member
	"sdk.RawData":                sdk.RawData{}, // the object's bytes: any member
}

// TestStructsMatchTheSpec pins every hand-written struct the spec binds to
// the schema's properties: a property added to api/openapi.yaml without its
// Go field, or a field without its property, fails here.
func TestStructsMatchTheSpec(t *testing.T) {
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for name, ref := range spec.Components.Schemas {
		s := ref.Value
		goType, _ := s.Extensions["x-go-type"].(string)
		if !(strings.HasPrefix(goType, "sdk.") || strings.HasPrefix(goType, "event.")) || !s.Type.Is("object") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			v, ok := specTypes[goType]
			if !ok {
				t.Fatalf("x-go-type %s is not in specTypes: add it", goType)
			}
			if reflect.TypeOf(v).Kind() != reflect.Struct {
				return
			}
			props := schemaProperties(s)
			fields := jsonFields(reflect.TypeOf(v))
			for _, p := range props {
				if !slices.Contains(fields, p) {
					t.Errorf("property %q has no field in %s", p, goType)
				}
			}
			for _, f := range fields {
				if !slices.Contains(props, f) {
					t.Errorf("field %q of %s is not a property of the schema", f, goType)
				}
			}
		})
	}
}

func schemaProperties(s *openapi3.Schema) []string {
	var out []string
	for p := range s.Properties {
		out = append(out, p)
	}
	for _, sub := range s.AllOf {
		out = append(out, schemaProperties(sub.Value)...)
	}
	return out
}

// jsonFields lists the JSON member names of struct type t, as encoding/json
// and json v2 name them.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
