package sdk_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk"
)

// specTypes are the hand-written types the spec binds with x-go-type.
var specTypes = map[string]any{
	"OpenServerLinkRequest":  sdk.OpenServerLinkRequest{},
	"DynamicActionRequest":   sdk.DynamicActionRequest{},
	"OpenServerLinkResponse": sdk.OpenServerLinkResponse{},
	"DynamicActionResponse":  sdk.DynamicActionResponse{},
	"Action":                 sdk.Action{},
	"DataPayload":            sdk.DataPayload{},
	"PostPayload":            sdk.PostPayload{},
	"Event":                  sdk.Event{},
	"ChatMessage":            sdk.ChatMessage{},
	"Conversation":           sdk.Conversation{},
	"Sender":                 sdk.Sender{},
	"ImageData":              sdk.ImageData{},
	"FileData":               sdk.FileData{},
	"VoiceData":              sdk.VoiceData{},
	"LocationData":           sdk.LocationData{},
	"VideoData":              sdk.VideoData{},
	"ContactData":            sdk.ContactData{},
	"UserAccessRevocation":   sdk.UserAccessRevocation{},
	"PostUpdate":             sdk.PostUpdate{},
	"PostInfo":               sdk.PostInfo{},
	"PaymentTransaction":     sdk.PaymentTransaction{},
	"EventAck":               sdk.EventAck{},
	"Problem":                sdk.Problem{},
	"FieldError":             sdk.FieldError{},
	"Data":                   sdk.Data{},    // a map: any member
	"RawData":                sdk.RawData{}, // the object's bytes: any member
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
		typeName, ok := strings.CutPrefix(goType, "sdk.")
		if !ok || !s.Type.Is("object") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			v, ok := specTypes[typeName]
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

// TestEventTypesAreTheSpecs: the table of event types and the spec's
// x-extensible-enum of EventType name the same types, in the same order.
func TestEventTypesAreTheSpecs(t *testing.T) {
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	ref := spec.Components.Schemas["EventType"]
	if ref == nil || ref.Value == nil {
		t.Fatal("the spec has no EventType schema")
	}
	var want []string
	for _, v := range ref.Value.Extensions["x-extensible-enum"].([]any) {
		want = append(want, v.(string))
	}
	var got []string
	for _, typ := range sdk.EventTypes() {
		got = append(got, string(typ))
	}
	if !slices.Equal(got, want) {
		t.Errorf("sdk.EventTypes() = %v, the spec's EventType = %v", got, want)
	}
}
