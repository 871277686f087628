package server_test

import (
	"strings"
	"testing"
)

// A field the add-on adds to a request's schema reaches the handler
// through Raw, and Raw stays the request's own after later requests reuse
// the server's buffers.
func TestRawReadsFieldsTheTypesLack(t *testing.T) {
	a := &addon{}
	e := newServer(t, a, nil)
	first := `{"touchpoint":"CHAT","coupon":"SPRING","extra_data":{"k":"v"}}`
	serve(e, divarRequest("/divar/dynamic-action", first))
	serve(e, divarRequest("/divar/open-server-link", `{"source":"CHAT","coupon":"AUTUMN","tier":{"level":2}}`))
	serve(e, divarRequest("/divar/dynamic-action", `{"touchpoint":"MY_POST","coupon":"`+strings.Repeat("x", len("SPRING"))+`"}`))
	if len(a.dyn) != 2 || len(a.osl) != 1 {
		t.Fatalf("handlers saw %d and %d requests", len(a.dyn), len(a.osl))
	}
	if got := string(a.dyn[0].Raw()); got != first {
		t.Errorf("Raw = %s, want the body as sent: %s", got, first)
	}
	if got := a.dyn[0].Raw().String("coupon"); got != "SPRING" {
		t.Errorf(`Raw().String("coupon") = %q after later requests`, got)
	}
	var ext struct {
		Coupon string `json:"coupon"`
		Tier   struct {
			Level int `json:"level"`
		} `json:"tier"`
	}
	if err := a.osl[0].Raw().Decode(&ext); err != nil || ext.Coupon != "AUTUMN" || ext.Tier.Level != 2 {
		t.Errorf("Raw().Decode: %+v, %v", ext, err)
	}
	if a.dyn[0].Data().String("k") != "v" {
		t.Errorf("the typed fields are still read: %s", a.dyn[0].Data())
	}
}

// The kept body costs one copy: the data members are views of it, not
// copies of their own.
func TestRawDataSharesTheKeptBody(t *testing.T) {
	a := &addon{}
	serve(newServer(t, a, nil), divarRequest("/divar/dynamic-action", `{"touchpoint":"CHAT","extra_data":{"k":"v"}}`))
	raw, data := a.dyn[0].Raw(), a.dyn[0].Data()
	at := strings.Index(string(raw), string(data))
	if at < 0 || len(data) == 0 || &raw[at] != &data[0] {
		t.Errorf("extra_data %s is a copy, not a view of the kept body %s", data, raw)
	}
	if cap(data) != len(data) {
		t.Errorf("extra_data's capacity %d reaches past it (%d bytes): an append would write into the body", cap(data), len(data))
	}
}
