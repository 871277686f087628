package divar_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// payScopes is what a seller grants for every payment test.
var payScopes = []string{"PAYMENT_ALL_POSTS_PRICING_READ", "PAYMENT_ALL_POSTS_REORDER", "PAYMENT_ALL_POSTS_RENEW", "SUBMIT_USER_POST", "PAY_USER_POST_PROMOTION", "SUBMIT_USER_PAYMENT"}

func newPayAPI(t *testing.T) (*divartest.API, *divar.Client) {
	api := divartest.NewAPI(t)
	api.Token("seller", payScopes...)
	c, _ := newClient(t, api, divar.Config{})
	return api, c
}

func TestPaymentCalls(t *testing.T) {
	ctx := context.Background()
	api, c := newPayAPI(t)
	api.SetPricing(post, divar.Pricing{
		Reorder: divar.Price{CostRials: 400_000, Available: true},
		Submit:  divar.Price{CostRials: 500_000, Available: true},
		Renew:   divar.Price{CostRials: 350_000, Available: true},
	})
	api.SetBalance(2_000_000)

	t.Run("balance", func(t *testing.T) {
		if b, err := c.Balance(ctx); err != nil || b != 2_000_000 {
			t.Fatalf("Balance = %d, %v", b, err)
		}
	})
	t.Run("pricing, cost_rials as Divar's strings", func(t *testing.T) {
		p, err := c.PostPricing(ctx, user("seller"), post)
		if err != nil || p.Reorder != (divar.Price{CostRials: 400_000, Available: true}) || p.Renew.CostRials != 350_000 || !p.Submit.Available {
			t.Fatalf("PostPricing = %+v, %v", p, err)
		}
	})
	ids := map[string]string{}
	for _, tc := range []struct {
		name string
		pay  func(divar.Payment) (event.PaymentTransaction, error)
		kind event.TransactionType
		cost int64
	}{
		{"reorder", func(p divar.Payment) (event.PaymentTransaction, error) {
			return c.Reorder(ctx, user("seller"), post, p)
		}, event.TransactionReorder, 400_000},
		{"renew", func(p divar.Payment) (event.PaymentTransaction, error) { return c.Renew(ctx, user("seller"), post, p) }, event.TransactionRenew, 350_000},
		{"publish", func(p divar.Payment) (event.PaymentTransaction, error) {
			return c.Publish(ctx, user("seller"), post, p)
		}, event.TransactionSubmit, 500_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := divar.Payment{ID: divar.NewPaymentID(), ExtraDetails: tc.name + " " + post}
			tr, err := tc.pay(p)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Reports(&tr) || tr.State != event.TransactionCompleted || tr.Type != tc.kind || int64(tr.CostRials) != tc.cost {
				t.Errorf("transaction %+v", tr)
			}
			ids[tc.name] = p.ID
		})
	}
	t.Run("one transaction", func(t *testing.T) {
		tr, err := c.Transaction(ctx, ids["renew"])
		if err != nil || tr.State != event.TransactionCompleted || tr.ExtraDetails != "renew "+post || tr.Type != event.TransactionRenew {
			t.Fatalf("Transaction = %+v, %v", tr, err)
		}
		if _, err := c.Transaction(ctx, divar.NewPaymentID()); !errors.Is(err, divar.ErrNotFound) {
			t.Fatalf("an unknown id: %v", err)
		}
	})
	t.Run("transactions, newest first, in pages", func(t *testing.T) {
		var got []string
		token := ""
		for range 5 {
			page, err := c.Transactions(ctx, 2, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range page.Transactions {
				got = append(got, tr.ID)
			}
			if token = page.NextPageToken; token == "" {
				break
			}
		}
		want := []string{ids["publish"], ids["renew"], ids["reorder"]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("listed %v, want %v", got, want)
		}
	})
	t.Run("the wallet paid each once", func(t *testing.T) {
		if b, _ := c.Balance(ctx); b != 2_000_000-1_250_000 || len(api.Charges()) != 3 {
			t.Errorf("balance %d after %d charges", b, len(api.Charges()))
		}
	})
	t.Run("promotion", func(t *testing.T) {
		r, err := c.PayPromotion(ctx, user("seller"), post, divar.Promotion{Payment: divar.Payment{ID: divar.NewPaymentID()}, Operation: divar.PromoteReorder, Personal: true})
		if err != nil || r.Status != divar.PayStatusPaid || r.OrderID == "" || r.AmountRials != 400_000 || r.PaidAt.IsZero() {
			t.Fatalf("PayPromotion = %+v, %v", r, err)
		}
	})
	t.Run("user payment", func(t *testing.T) {
		err := c.SubmitUserPayment(ctx, user("seller"), divar.UserPayment{ReferenceID: "ref-1", AmountRials: 100_000, ProfitRials: 20_000, Services: []string{"banner"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := api.UserPayments()["ref-1"]; got.AmountRials != 100_000 || got.ProfitRials != 20_000 {
			t.Errorf("Divar got %+v", got)
		}
	})
	t.Run("payment ticket", func(t *testing.T) {
		api.AddPaymentTicket("6ca5ba03-f3a1-4761-9c60-8760f442a352", "u1", 104_000)
		for _, tc := range []struct {
			name string
			t    divar.PaymentTicket
			want error
		}{
			{"valid", divar.PaymentTicket{TicketUUID: "6ca5ba03-f3a1-4761-9c60-8760f442a352", UserID: "u1", ServiceCostRials: 104_000}, nil},
			{"cost above the sponsored amount", divar.PaymentTicket{TicketUUID: "6ca5ba03-f3a1-4761-9c60-8760f442a352", UserID: "u1", ServiceCostRials: 104_001}, divar.ErrValidation},
			{"another user's", divar.PaymentTicket{TicketUUID: "6ca5ba03-f3a1-4761-9c60-8760f442a352", UserID: "u2", ServiceCostRials: 1}, divar.ErrNotFound},
			{"unknown", divar.PaymentTicket{TicketUUID: "4ddaff7e-275a-4928-9d4a-25765114fa3b", UserID: "u1", ServiceCostRials: 1}, divar.ErrNotFound},
			{"no user: refused before sending", divar.PaymentTicket{TicketUUID: "6ca5ba03-f3a1-4761-9c60-8760f442a352", ServiceCostRials: 1}, dedupe.ErrNotSent},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.ValidatePaymentTicket(ctx, tc.t)
				if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
					t.Fatalf("ValidatePaymentTicket: %v, want %v", err, tc.want)
				}
			})
		}
	})
}

// TestPaymentMovesMoneyOnce sends a bump through every failure between the
// add-on and Divar's wallet, and counts the charges on Divar's side.
func TestPaymentMovesMoneyOnce(t *testing.T) {
	const reorder, lookup = "Payment_ReorderPost", "Payment_GetTransaction"
	for _, tc := range []struct {
		name    string
		faults  []divartest.Fault
		charges int
		want    error // nil: COMPLETED
		sends   int   // Payment_ReorderPost requests that reached the fake
	}{
		{"answered", nil, 1, nil, 1},
		{"429, then answered", []divartest.Fault{divartest.TooManyRequests(0).On(reorder)}, 1, nil, 2},
		{"429 until the client gives up: nothing paid", repeat(divartest.TooManyRequests(0).On(reorder), 4), 0, divar.ErrRateLimited, 4},
		{"5xx before paying: looked up, not found, sent again with the same id", []divartest.Fault{divartest.ServerError(503).On(reorder)}, 1, nil, 2},
		{"answer lost after paying: looked up, found", []divartest.Fault{divartest.LostAnswer().On(reorder)}, 1, nil, 1},
		{"answer lost, and the lookup 5xx: unresolved, not paid again", []divartest.Fault{divartest.LostAnswer().On(reorder), divartest.ServerError(500).On(lookup), divartest.ServerError(500).On(lookup), divartest.ServerError(500).On(lookup), divartest.ServerError(500).On(lookup)}, 1, divar.ErrPaymentUnresolved, 1},
		{"answer lost, then 429 on the lookup, then found", []divartest.Fault{divartest.LostAnswer().On(reorder), divartest.TooManyRequests(0).On(lookup)}, 1, nil, 1},
		{"5xx, then refused for another reason: unresolved, fail closed", []divartest.Fault{divartest.ServerError(503).On(reorder), {Status: 400, Code: 3, Message: "invalid", Operation: reorder}}, 0, divar.ErrPaymentUnresolved, 2},
		{"5xx three times: sent at most three times, never charged twice", repeat(divartest.ServerError(502).On(reorder), 3), 0, divar.ErrPaymentUnresolved, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, c := newPayAPI(t)
			for _, f := range tc.faults {
				api.FailNext(1, f)
			}
			p := divar.Payment{ID: divar.NewPaymentID(), ExtraDetails: "bump " + post}
			tr, err := c.Reorder(context.Background(), user("seller"), post, p)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Reorder: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Reorder: %v, want %v", err, tc.want)
			case tc.want == nil && (tr.State != event.TransactionCompleted || !p.Reports(&tr)):
				t.Fatalf("transaction %+v", tr)
			}
			if tc.charges == 0 && !errors.Is(err, dedupe.ErrNotSent) && !errors.Is(err, divar.ErrPaymentUnresolved) {
				t.Errorf("nothing was paid, yet the error is neither ErrNotSent nor unresolved: %v", err)
			}
			charges := api.Charges()
			if len(charges) != tc.charges {
				t.Fatalf("Divar charged %d times, want %d: %+v", len(charges), tc.charges, charges)
			}
			for _, ch := range charges {
				if ch.ID != p.ID {
					t.Errorf("charged under id %s, the payment's is %s", ch.ID, p.ID)
				}
			}
			if got := api.CallsTo(reorder); got != tc.sends {
				t.Errorf("Payment_ReorderPost sent %d times, want %d", got, tc.sends)
			}
		})
	}
}

func repeat(f divartest.Fault, n int) []divartest.Fault {
	out := make([]divartest.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func TestPaymentIDUsedFindsTheFirstPayment(t *testing.T) {
	ctx := context.Background()
	api, c := newPayAPI(t)
	p := divar.Payment{ID: divar.NewPaymentID()}
	first, err := c.Reorder(ctx, user("seller"), post, p)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Reorder(ctx, user("seller"), post, p) // a retry by the add-on, same id
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if again.ID != first.ID || again.State != event.TransactionCompleted {
		t.Errorf("the retry found %+v, the payment was %+v", again, first)
	}
	if n := len(api.Charges()); n != 1 {
		t.Errorf("Divar charged %d times", n)
	}
	if api.CallsTo("Payment_ReorderPost") != 2 || api.CallsTo("Payment_GetTransaction") != 2 { // the bump's confirmation, the retry's lookup
		t.Errorf("calls: %+v", api.Calls())
	}
}

func TestPaymentIDOfAnotherPaymentRefused(t *testing.T) {
	ctx := context.Background()
	api, c := newPayAPI(t)
	p := divar.Payment{ID: divar.NewPaymentID()}
	if _, err := c.Reorder(ctx, user("seller"), post, p); err != nil {
		t.Fatal(err)
	}
	_, err := c.Renew(ctx, user("seller"), post, p) // the add-on's mistake: the bump's id for a renewal
	if !errors.Is(err, divar.ErrPaymentIDUsed) || !errors.Is(err, dedupe.ErrNotSent) {
		t.Fatalf("Renew with the bump's id: %v", err)
	}
	if n := len(api.Charges()); n != 1 {
		t.Errorf("Divar charged %d times", n)
	}
}

func TestPaymentPendingFollowed(t *testing.T) {
	ctx := context.Background()
	t.Run("to COMPLETED", func(t *testing.T) {
		api, c := newPayAPI(t)
		api.Pending(3)
		tr, err := c.Renew(ctx, user("seller"), post, divar.Payment{ID: divar.NewPaymentID()})
		if err != nil || tr.State != event.TransactionCompleted {
			t.Fatalf("Renew = %+v, %v", tr, err)
		}
		if n := api.CallsTo("Payment_GetTransaction"); n != 4 {
			t.Errorf("looked up %d times, want 4", n)
		}
		if len(api.Charges()) != 1 {
			t.Errorf("charges %+v", api.Charges())
		}
	})
	t.Run("past the wait: unresolved, with the transaction", func(t *testing.T) {
		api, c := newPayAPI(t)
		api.Pending(1 << 30)
		p := divar.Payment{ID: divar.NewPaymentID(), Wait: 20 * time.Millisecond}
		_, err := c.Renew(ctx, user("seller"), post, p)
		var pe *divar.PaymentError
		if !errors.Is(err, divar.ErrPaymentUnresolved) || !errors.As(err, &pe) || pe.ID != p.ID || pe.Transaction == nil || pe.Transaction.State != event.TransactionPending {
			t.Fatalf("Renew: %v", err)
		}
		if errors.Is(err, dedupe.ErrNotSent) {
			t.Error("a pending payment is marked not sent")
		}
		if len(api.Charges()) != 1 {
			t.Errorf("charges %+v", api.Charges())
		}
	})
}

func TestPromotionReconcilingFollowed(t *testing.T) {
	ctx := context.Background()
	promo := func(wait time.Duration) divar.Promotion {
		return divar.Promotion{Payment: divar.Payment{ID: divar.NewPaymentID(), Wait: wait}, Operation: divar.PromoteRenew}
	}
	for _, tc := range []struct {
		name        string
		reconciling int
		faults      []divartest.Fault
		wait        time.Duration
		want        error
	}{
		{"reconciling twice, then paid", 2, nil, 0, nil},
		{"answer lost, then reconciling, then paid", 1, []divartest.Fault{divartest.LostAnswer()}, 0, nil},
		{"5xx, then paid", 0, []divartest.Fault{divartest.ServerError(500)}, 0, nil},
		{"reconciling past the wait", 1 << 30, nil, 20 * time.Millisecond, divar.ErrPaymentUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, c := newPayAPI(t)
			api.Reconciling(tc.reconciling)
			for _, f := range tc.faults {
				api.FailNext(1, f.On("Payment_PayPostPromotion"))
			}
			r, err := c.PayPromotion(ctx, user("seller"), post, promo(tc.wait))
			if tc.want == nil && (err != nil || r.Status != divar.PayStatusPaid) {
				t.Fatalf("PayPromotion = %+v, %v", r, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("PayPromotion: %v, want %v", err, tc.want)
			}
			if n := len(api.Charges()); n != 1 {
				t.Errorf("Divar charged %d times", n)
			}
		})
	}
}

func TestPaymentRefusedBeforePaying(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(*divartest.API)
		p     divar.Payment
		token string
		want  error
		sends int
	}{
		{"not available", func(a *divartest.API) {
			a.SetPricing(post, divar.Pricing{Reorder: divar.Price{CostRials: 1, Available: false}})
		}, divar.Payment{ID: divar.NewPaymentID()}, "seller", divar.ErrPaymentUnavailable, 0},
		{"dearer than allowed", nil, divar.Payment{ID: divar.NewPaymentID(), MaxCostRials: 399_999}, "seller", divar.ErrPriceAbove, 0},
		{"no id", nil, divar.Payment{}, "seller", sdk.ErrInvalidAnswer, 0},
		{"an id that is not a UUIDv4", nil, divar.Payment{ID: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}, "seller", sdk.ErrInvalidAnswer, 0},
		{"the wallet short", func(a *divartest.API) { a.SetBalance(10) }, divar.Payment{ID: divar.NewPaymentID()}, "seller", divar.ErrValidation, 1},
		{"no reorder scope", func(a *divartest.API) { a.Token("reader", "PAYMENT_ALL_POSTS_PRICING_READ") }, divar.Payment{ID: divar.NewPaymentID()}, "reader", divar.ErrForbidden, 1},
		{"no pricing scope", func(a *divartest.API) { a.Token("bumper", "PAYMENT_ALL_POSTS_REORDER") }, divar.Payment{ID: divar.NewPaymentID()}, "bumper", divar.ErrForbidden, 0},
		{"no permission", func(a *divartest.API) { a.Deny("POST_REORDER") }, divar.Payment{ID: divar.NewPaymentID()}, "seller", divar.ErrForbidden, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, c := newPayAPI(t)
			if tc.setup != nil {
				tc.setup(api)
			}
			_, err := c.Reorder(ctx, user(tc.token), post, tc.p)
			if !errors.Is(err, tc.want) || !errors.Is(err, dedupe.ErrNotSent) {
				t.Fatalf("Reorder: %v, want %v and ErrNotSent", err, tc.want)
			}
			if n := len(api.Charges()); n != 0 {
				t.Errorf("Divar charged %d times", n)
			}
			if n := api.CallsTo("Payment_ReorderPost"); n != tc.sends {
				t.Errorf("sent %d times, want %d", n, tc.sends)
			}
		})
	}
}

// TestPaymentInEventHandlerOnce pays from an event handler that Divar
// delivers again, concurrently and after a lost answer: one charge.
func TestPaymentInEventHandlerOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		faults []divartest.Fault
	}{
		{"answered", nil},
		{"answer lost", []divartest.Fault{divartest.LostAnswer().On("Payment_ReorderPost")}},
		{"answer lost and the lookup failing", []divartest.Fault{divartest.LostAnswer().On("Payment_ReorderPost"), divartest.ServerError(500).On("Payment_GetTransaction"), divartest.ServerError(500).On("Payment_GetTransaction"), divartest.ServerError(500).On("Payment_GetTransaction"), divartest.ServerError(500).On("Payment_GetTransaction")}},
		{"5xx", []divartest.Fault{divartest.ServerError(500).On("Payment_ReorderPost")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, c := newPayAPI(t)
			for _, f := range tc.faults {
				api.FailNext(1, f)
			}
			var unfinished int
			mux := &event.Mux{
				Dedupe: dedupe.NewMemory(dedupe.MemoryConfig{}),
				NewChatbotMessage: func(ctx context.Context, e *event.Event, m *event.ChatMessage) error {
					_, err := c.Reorder(ctx, user("seller"), post, divar.Payment{ID: divar.NewPaymentID()}) // a new id each run: only Once protects
					return err
				},
				OnUnfinished: func(context.Context, *event.Event, error) { unfinished++ },
				Logger:       slog.New(slog.DiscardHandler),
			}
			e := chatbotEvent(t)
			for range 3 { // Divar's deliveries of one event
				if _, err := mux.Handle(ctx, e); err != nil {
					t.Logf("delivery answered %v", err)
				}
			}
			if n := len(api.Charges()); n != 1 {
				t.Errorf("Divar charged %d times for one event", n)
			}
			t.Logf("%d deliveries found the payment unfinished", unfinished)
		})
	}
}

func chatbotEvent(t *testing.T) *event.Event {
	t.Helper()
	var e event.Event
	if err := e.UnmarshalJSON([]byte(`{"type":"NEW_CHATBOT_MESSAGE","new_chatbot_message":{"id":"m-1","conversation":{"id":"c-1","type":"BOT"},"type":"TEXT","text":"/bump","sent_at":1729429926140000}}`)); err != nil {
		t.Fatal(err)
	}
	return &e
}

func TestPaymentIDFor(t *testing.T) {
	a, b := divar.PaymentIDFor("bump gZd7omnS 2026-12-07"), divar.PaymentIDFor("bump gZd7omnS 2026-12-08")
	if a != divar.PaymentIDFor("bump gZd7omnS 2026-12-07") || a == b {
		t.Fatalf("ids %s %s", a, b)
	}
	api, c := newPayAPI(t)
	if _, err := c.Reorder(context.Background(), user("seller"), post, divar.Payment{ID: a}); err != nil {
		t.Fatalf("Divar refuses the derived id %s: %v", a, err)
	}
	if !(divar.Payment{ID: strings.ToUpper(a)}).Reports(&api.PaymentTransactions()[0]) {
		t.Error("Reports is case-sensitive")
	}
}

// TestPaymentKeepsSecrets: through lost answers, 5xx and lookups, no error
// or log line holds the API key or the user's token.
func TestPaymentKeepsSecrets(t *testing.T) {
	const token = "ory_at_payment_secret_token"
	api := divartest.NewAPI(t)
	api.Token(token, payScopes...)
	c, log := newClient(t, api, divar.Config{})
	api.FailNext(1, divartest.LostAnswer().On("Payment_ReorderPost"))
	api.FailNext(8, divartest.ServerError(500).On("Payment_GetTransaction"))
	_, err := c.Reorder(context.Background(), user(token), post, divar.Payment{ID: divar.NewPaymentID()})
	if !errors.Is(err, divar.ErrPaymentUnresolved) {
		t.Fatalf("Reorder: %v", err)
	}
	for _, secret := range []string{token, divartest.APIKey} {
		if strings.Contains(err.Error(), secret) || strings.Contains(log.String(), secret) {
			t.Errorf("%q is in the error or the log:\n%v\n%s", secret, err, log)
		}
	}
	if !strings.Contains(log.String(), "payment_id=") {
		t.Errorf("the lookup is not logged with the payment's id:\n%s", log)
	}
}

func TestPaymentFailed(t *testing.T) {
	ctx := context.Background()
	api, c := newPayAPI(t)
	api.FailNextPayment()
	p := divar.Payment{ID: divar.NewPaymentID()}
	tr, err := c.Renew(ctx, user("seller"), post, p)
	var pe *divar.PaymentError
	if !errors.Is(err, divar.ErrPaymentFailed) || !errors.As(err, &pe) || pe.Transaction.State != event.TransactionFailed || tr.State != event.TransactionFailed {
		t.Fatalf("Renew = %+v, %v", tr, err)
	}
	if n := len(api.Charges()); n != 0 {
		t.Errorf("Divar charged %d times for a failed payment", n)
	}
	// A failed transaction does not use its id: the add-on may pay with it again.
	if tr, err := c.Renew(ctx, user("seller"), post, p); err != nil || tr.State != event.TransactionCompleted {
		t.Fatalf("paying again with the failed payment's id: %+v, %v", tr, err)
	}
	if n := len(api.Charges()); n != 1 {
		t.Errorf("Divar charged %d times", n)
	}
}

func TestPaymentErrorIsNeverNotSent(t *testing.T) {
	lookup := fmt.Errorf("looking the transaction up: %w", dedupe.NotSent(context.DeadlineExceeded))
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"unresolved after a lookup that was not sent", &divar.PaymentError{ID: "p", Err: divar.ErrPaymentUnresolved, Cause: lookup}},
		{"failed, no cause", &divar.PaymentError{ID: "p", Err: divar.ErrPaymentFailed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if errors.Is(tc.err, dedupe.ErrNotSent) {
				t.Errorf("%v reads as not sent", tc.err)
			}
			var pe *divar.PaymentError
			if !errors.As(tc.err, &pe) {
				t.Errorf("%v is not a PaymentError", tc.err)
			}
		})
	}
	err := error(&divar.PaymentError{ID: "p", Err: divar.ErrPaymentUnresolved, Cause: lookup})
	if !errors.Is(err, divar.ErrPaymentUnresolved) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v lost its sentinel or its cause", err)
	}
}
