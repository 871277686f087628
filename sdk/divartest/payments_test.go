package divartest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// The examples of kenar-docs docs/payment/*.md and docs/payment-ticket/validate.md.
const (
	docsID      = "550e8400-e29b-41d4-a716-446655440000"
	docsPayment = `{"id": "550e8400-e29b-41d4-a716-446655440000", "extra_details": "Details for tracking purposes"}`
	docsTicket  = `{"ticket_uuid": "6ca5ba03-f3a1-4761-9c60-8760f442a352", "user_id": "sample_divar_user_id", "service_cost": 104000}`
)

// TestFakeWalletTakesDivarsExamples sends the fake the requests of Divar's
// payment pages, as raw HTTP, and checks its answers and refusals.
func TestFakeWalletTakesDivarsExamples(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("seller", "PAYMENT_ALL_POSTS_PRICING_READ", "PAYMENT_ALL_POSTS_REORDER", "PAYMENT_ALL_POSTS_RENEW")
	api.Token("reader", "PAYMENT_ALL_POSTS_PRICING_READ")
	api.AddPaymentTicket("6ca5ba03-f3a1-4761-9c60-8760f442a352", "sample_divar_user_id", 104000)
	api.SetBalance(1_000_000)
	const post = "/experimental/open-platform/post/gZd7omnS"
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		want                            string // in the answer
	}{
		{"balance", "GET", "/experimental/open-platform/balance", "", "", 200, `"balance_rials":"1000000"`},
		{"pricing, as docs/payment/pricing.md answers it", "GET", "/v1/open-platform/post/gZd7omnS/pricing", "seller", "", 200, `"reorder":{"available":true,"cost_rials":"400000"}`},
		{"pricing without the user's token", "GET", "/v1/open-platform/post/gZd7omnS/pricing", "", "", 401, "Bearer"},
		{"reorder, docs/payment/reorder.md's request", "POST", post + "/reorder", "seller", docsPayment, 200, `"id":"` + docsID + `"`},
		{"the same id again: refused", "POST", post + "/reorder", "seller", docsPayment, 409, "exists"},
		{"the same id for a renewal: refused", "POST", post + "/renew", "seller", docsPayment, 409, "exists"},
		{"the transaction, by the payment's id", "GET", "/experimental/open-platform/transactions/" + docsID, "", "", 200, `"state":"TRANSACTION_STATE_COMPLETED"`},
		{"an unknown transaction", "GET", "/experimental/open-platform/transactions/4ddaff7e-275a-4928-9d4a-25765114fa3b", "", "", 404, "no transaction"},
		{"the list", "GET", "/experimental/open-platform/transactions?page_size=100", "", "", 200, `"type":"TRANSACTION_TYPE_REORDER"`},
		{"a page size over 100", "GET", "/experimental/open-platform/transactions?page_size=101", "", "", 400, "page_size"},
		{"an id that is not a UUIDv4", "POST", post + "/renew", "seller", `{"id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}`, 400, "UUIDv4"},
		{"renew without its scope", "POST", post + "/renew", "reader", `{"id":"4ddaff7e-275a-4928-9d4a-25765114fa3b"}`, 403, "PAYMENT_ALL_POSTS_RENEW"},
		{"more than the wallet holds", "POST", post + "/renew", "seller", `{"id":"4ddaff7e-275a-4928-9d4a-25765114fa3b"}`, 400, "wallet"},
		{"ticket, docs/payment-ticket/validate.md's request", "POST", "/v1/open-platform/payment-ticket/validate", "", docsTicket, 200, "issuer_payload"},
		{"ticket without a user", "POST", "/v1/open-platform/payment-ticket/validate", "", `{"ticket_uuid":"6ca5ba03-f3a1-4761-9c60-8760f442a352","service_cost":1}`, 400, "user_identifier is required"},
		{"a wrong method on a payment path", "GET", post + "/reorder", "seller", "", 405, "method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "more than the wallet holds" {
				api.SetBalance(1)
			}
			status, body := sendText(t, api, tc.method, tc.path, tc.token, tc.body)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s\nwant %d with %q", status, body, tc.status, tc.want)
			}
		})
	}
	if got := api.Charges(); len(got) != 1 || got[0].ID != docsID || got[0].CostRials != 400_000 {
		t.Errorf("charges %+v", got)
	}
	if got := api.Balance(); got != 1 {
		t.Errorf("balance %d", got)
	}
}

// TestFakePaymentEventsFollowTheStates: a pending payment gives one event
// when made and one when it completes, each in docs/events/payment.md's
// shape.
func TestFakePaymentEventsFollowTheStates(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("seller", "PAYMENT_ALL_POSTS_REORDER")
	api.Pending(0)
	if status, body := sendText(t, api, "POST", "/experimental/open-platform/post/gZd7omnS/reorder", "seller", docsPayment); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	send(t, api, "GET", "/experimental/open-platform/transactions/"+docsID, "", "")
	send(t, api, "GET", "/experimental/open-platform/transactions/"+docsID, "", "") // completed already: no new event
	// Divar delivers them to an add-on that records each payment.
	var got []event.PaymentTransaction
	d := divartest.New(t, gen.GetSpec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e event.Event
		b, _ := io.ReadAll(r.Body)
		if err := e.UnmarshalJSON(b); err != nil || e.Type != event.TypePaymentTransaction || e.Payment() == nil {
			t.Errorf("event %s: %v", b, err)
		} else {
			got = append(got, *e.Payment())
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	for _, e := range api.PaymentEvents() {
		d.Event(e)
	}
	var states []string
	for _, p := range got {
		if p.ID != docsID || int64(p.CostRials) != divartest.DefaultPricing.Reorder.CostRials || p.Type != event.TransactionReorder || p.ExtraDetails != "Details for tracking purposes" {
			t.Errorf("payment %+v", p)
		}
		states = append(states, string(p.State))
	}
	if strings.Join(states, ",") != "TRANSACTION_STATE_PENDING,TRANSACTION_STATE_COMPLETED" {
		t.Errorf("events of states %v", states)
	}
}

// TestFakeLosesTheAnswerAfterPaying: LostAnswer pays, then closes the
// connection unanswered.
func TestFakeLosesTheAnswerAfterPaying(t *testing.T) {
	api := divartest.NewAPI(t)
	api.Token("seller", "PAYMENT_ALL_POSTS_REORDER")
	api.FailNext(1, divartest.LostAnswer())
	r, _ := http.NewRequest("POST", api.URL()+"/experimental/open-platform/post/gZd7omnS/reorder", strings.NewReader(docsPayment))
	r.Header.Set("X-API-Key", divartest.APIKey)
	r.Header.Set("Authorization", "Bearer seller")
	r.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(r); err == nil {
		res.Body.Close()
		t.Fatalf("answered %d", res.StatusCode)
	}
	if n := len(api.Charges()); n != 1 {
		t.Errorf("charged %d times", n)
	}
}

// sendText is send's answer as compact JSON, its keys sorted as the fake
// sorts them.
func sendText(t *testing.T, api *divartest.API, method, path, token, body string) (int, string) {
	t.Helper()
	status, out := send(t, api, method, path, token, body)
	b, err := json.Marshal(out, json.Deterministic(true))
	if err != nil {
		t.Fatal(err)
	}
	return status, string(b)
}
