package divar

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/google/uuid"
	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/sdk/dedupe"
	"github.com/kenarkit/kenarkit/sdk/event"
	"golang.org/x/oauth2"
)

// Payments from the app's wallet (kenar-docs docs/payment/*.md) and from
// the seller's (pay-promotion) move money once: see [Client.Reorder].

// The errors of a payment. Compare with errors.Is.
var (
	// ErrPaymentUnavailable: Divar's pricing says the service is not
	// available for the post now (docs/payment/pricing.md: available is
	// false or the service is absent). Nothing was paid.
	ErrPaymentUnavailable = errors.New("divar: the service is not available for this post now")
	// ErrPriceAbove: Divar's price is above [Payment.MaxCostRials].
	// Nothing was paid.
	ErrPriceAbove = errors.New("divar: Divar's price is above the payment's maximum")
	// ErrPaymentFailed: Divar reports the transaction FAILED, or REFUNDED:
	// nothing was taken from the wallet, or it was given back
	// (docs/payment/balance-transactions.md). The error's Transaction says
	// which. The client does not pay again by itself.
	ErrPaymentFailed = errors.New("divar: Divar reports the payment failed")
	// ErrPaymentUnresolved: the payment may have been made, and its final
	// state was not known within [Payment.Wait] (Divar's answer was lost or
	// 5xx and the lookup failed too, or the transaction is still pending or
	// reconciling). It is never paid again by the client: look it up later
	// with [Client.Transaction] (its id is in the error, a
	// [*PaymentError]), or wait for its PAYMENT_TRANSACTION event.
	ErrPaymentUnresolved = errors.New("divar: the payment's outcome is not known yet; not paid again")
	// ErrPaymentIDUsed: Divar refused the payment's id, used by an earlier
	// successful or partly successful transaction. The client answers it
	// by looking the transaction up, which is this payment's outcome; it
	// reaches the caller when the transaction is another kind of payment's
	// (the add-on gave one id to two payments) or cannot be found.
	ErrPaymentIDUsed = errors.New("divar: the payment id was used by another transaction")
)

// DefaultPaymentWait bounds how long a payment's outcome is followed
// (a pending transaction, a reconciling promotion, a lost answer) when
// [Payment.Wait] is zero.
const DefaultPaymentWait = 30 * time.Second

// maxPaymentRounds bounds how often one payment is sent (with its one id)
// after lost answers that the lookup showed did not reach Divar.
const maxPaymentRounds = 3

// Payment is one payment from the app's wallet: a bump (reorder), a
// renewal or a publication of a user's post.
type Payment struct {
	// ID is the payment's UUIDv4 ([NewPaymentID], or [PaymentIDFor] to
	// derive it from what the payment is for). Divar refuses an id used by
	// a successful or partly successful transaction, so one payment keeps
	// its id through every retry, across processes: store it with what
	// the payment is for before calling. Required.
	ID string
	// ExtraDetails is sent with the payment and comes back in its
	// transaction and PAYMENT_TRANSACTION event (Divar suggests it for
	// reconciling, docs/payment/reorder.md).
	ExtraDetails string
	// MaxCostRials refuses the payment when Divar's price is higher
	// ([ErrPriceAbove]); 0: any price.
	MaxCostRials int64
	// Wait bounds the payment from its first send to its final state
	// (retries, lookups, a pending transaction); 0: DefaultPaymentWait.
	// The call's context bounds it too. Past it: ErrPaymentUnresolved.
	Wait time.Duration
}

// Reports says whether t, a transaction or a PAYMENT_TRANSACTION event's
// payload, is this payment's: its id is the payment's
// (docs/events/payment.md), compared as a UUID, whatever its letters' case.
func (p Payment) Reports(t *event.PaymentTransaction) bool {
	return t != nil && p.ID != "" && strings.EqualFold(t.ID, p.ID)
}

// PaymentError is the error of a payment whose outcome is known only in
// part: it names the payment's id and, when known, its transaction. It is
// [ErrPaymentFailed] or [ErrPaymentUnresolved] (errors.Is), and wraps the
// cause.
type PaymentError struct {
	Operation   string
	ID          string
	Transaction *event.PaymentTransaction // nil when unknown
	Err         error                     // ErrPaymentFailed or ErrPaymentUnresolved
	Cause       error
}

func (e *PaymentError) Error() string {
	s := fmt.Sprintf("divar: %s: payment %s: %v", e.Operation, e.ID, e.Err)
	if e.Transaction != nil && e.Transaction.State != "" {
		s += " (" + string(e.Transaction.State) + ")"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap gives the sentinel and the cause. A PaymentError is never
// [dedupe.ErrNotSent]: the payment went out, or may have, whatever its
// cause says; a lookup that was not sent (its context ended first) is no
// news of the payment, and must not read as "nothing paid".
func (e *PaymentError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, paymentCause{e.Cause}}
}

// paymentCause is a PaymentError's cause with its dedupe.ErrNotSent hidden:
// everything else in it (an *APIError, a context's error) stays reachable.
type paymentCause struct{ err error }

func (c paymentCause) Error() string { return c.err.Error() }
func (c paymentCause) Is(target error) bool {
	return target != dedupe.ErrNotSent && errors.Is(c.err, target)
}
func (c paymentCause) As(target any) bool { return errors.As(c.err, target) }

// NewPaymentID returns a new random UUIDv4 for a [Payment].
func NewPaymentID() string { return uuid.New().String() }

// PaymentIDFor returns a UUIDv4-shaped id derived from key (SHA-256), the
// same for the same key: "bump gZd7omnS 2026-12-07", an event's Key. A
// payment whose id comes from what it is for cannot be paid twice by two
// replicas or after a lost record: Divar refuses the id once used, and the
// client then finds the first payment's transaction.
func PaymentIDFor(key string) string {
	h := sha256.Sum256([]byte("kenarkit payment id\x00" + key))
	h[6] = h[6]&0x0f | 0x40 // version 4
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	u, _ := uuid.FromBytes(h[:16])
	return u.String()
}

// Price is the cost and availability of one service for a post.
type Price struct {
	CostRials int64
	Available bool
}

// Pricing is what Divar charges the app for a post's services
// (docs/payment/pricing.md). A service Divar did not list is unavailable.
type Pricing struct {
	Reorder, Submit, Renew Price
}

// PostPricing returns the prices of the post's services for this app
// (operation Payment_GetPostPricing). The payments check it themselves.
func (c *Client) PostPricing(ctx context.Context, user oauth2.TokenSource, postToken string) (Pricing, error) {
	const op = "Payment_GetPostPricing"
	if err := checkPostToken(postToken); err != nil {
		return Pricing{}, notSent(op, err)
	}
	var v struct {
		Reorder *price `json:"reorder"`
		Submit  *price `json:"submit"`
		Renew   *price `json:"renew"`
	}
	err := c.payCall(ctx, request{op: op, idempotent: true, user: user, needsUser: true, params: []string{postToken}}, &v)
	return Pricing{Reorder: v.Reorder.get(), Submit: v.Submit.get(), Renew: v.Renew.get()}, err
}

type price struct {
	CostRials event.Int64 `json:"cost_rials"`
	Available bool        `json:"available"`
}

func (p *price) get() Price {
	if p == nil {
		return Price{}
	}
	return Price{CostRials: int64(p.CostRials), Available: p.Available}
}

// Balance returns the app's wallet balance in rials (operation
// Payment_GetBalance, no user token).
func (c *Client) Balance(ctx context.Context) (int64, error) {
	var v struct {
		BalanceRials event.Int64 `json:"balance_rials"`
	}
	err := c.payCall(ctx, request{op: "Payment_GetBalance", idempotent: true}, &v)
	return int64(v.BalanceRials), err
}

// Transaction returns the app's transaction whose id is the payment's id
// (operation Payment_GetTransaction, no user token; permission
// TRANSACTION_RETRIEVE). One that does not exist is [ErrNotFound].
func (c *Client) Transaction(ctx context.Context, id string) (event.PaymentTransaction, error) {
	const op = "Payment_GetTransaction"
	if err := checkPaymentID(id); err != nil {
		return event.PaymentTransaction{}, notSent(op, err)
	}
	var v struct {
		Transaction *event.PaymentTransaction `json:"transaction"`
	}
	err := c.payCall(ctx, request{op: op, idempotent: true, params: []string{id}}, &v)
	if err == nil && (v.Transaction == nil || v.Transaction.ID == "") {
		err = malformed(op, "no transaction")
	}
	if err != nil {
		return event.PaymentTransaction{}, err
	}
	return *v.Transaction, nil
}

// TransactionPage is a page of the app's transactions, newest first.
type TransactionPage struct {
	Transactions []event.PaymentTransaction
	// NextPageToken asks for the next page; "" on the last one.
	NextPageToken string
}

// Transactions returns a page of the app's transactions, newest first
// (operation Payment_ListTransactions, no user token; permission
// TRANSACTION_LIST). pageSize is 1 to 100 (0: Divar's default); pageToken
// is "" for the first page, then the last page's NextPageToken.
func (c *Client) Transactions(ctx context.Context, pageSize int, pageToken string) (TransactionPage, error) {
	const op = "Payment_ListTransactions"
	if pageSize < 0 || pageSize > 100 {
		return TransactionPage{}, notSent(op, refuse("page_size", "is %d, not 1 to 100", pageSize))
	}
	var p divarapi.PaymentListTransactionsParams
	if pageSize > 0 {
		n := int32(pageSize)
		p.PageSize = &n
	}
	if pageToken != "" {
		p.PageToken = &pageToken
	}
	var v struct {
		Transactions  []event.PaymentTransaction `json:"transactions"`
		NextPageToken string                     `json:"next_page_token"`
	}
	err := c.payCall(ctx, request{op: op, idempotent: true, build: func() (*http.Request, error) {
		return divarapi.NewPaymentListTransactionsRequest(c.server, &p)
	}}, &v)
	return TransactionPage{Transactions: v.Transactions, NextPageToken: v.NextPageToken}, err
}

// Reorder bumps the user's post to the top of its list, paid from the
// app's wallet (operation Payment_ReorderPost, with Payment_GetPostPricing
// before it and Payment_GetTransaction for the lookups). It
// returns the payment's transaction, COMPLETED. The money moves at most
// once:
//
//   - the post's pricing is checked first, as Divar requires
//     ([ErrPaymentUnavailable], [ErrPriceAbove]; nothing paid);
//   - the payment is sent with p.ID, the same id on every attempt; a 429
//     or a connection never made is sent again;
//   - a lost answer, a 5xx, or Divar refusing the id as used is answered
//     by looking the transaction up by its id: found, it is the outcome;
//     not found, the payment did not reach Divar and is sent again with
//     the same id (which Divar would refuse had it gone through);
//   - Divar's answer to a bump carries no state: the transaction is looked
//     up to confirm it;
//   - a PENDING transaction is followed to a final state within p.Wait;
//     past it, or when the lookup fails, [ErrPaymentUnresolved];
//   - a FAILED or REFUNDED one is [ErrPaymentFailed];
//   - within an [event.Mux] handler it is one step of dedupe.Once:
//     Divar's redelivery of the event never pays again.
//
// Every error after which nothing was paid is dedupe.ErrNotSent.
func (c *Client) Reorder(ctx context.Context, user oauth2.TokenSource, postToken string, p Payment) (event.PaymentTransaction, error) {
	return c.pay(ctx, walletPayment{op: "Payment_ReorderPost", kind: event.TransactionReorder, price: func(p Pricing) Price { return p.Reorder }}, user, postToken, p)
}

// Renew renews the user's post, paid from the app's wallet (operation
// Payment_RenewPost; Divar allows it only near the post's expiry). Money moves
// at most once, as for [Client.Reorder].
func (c *Client) Renew(ctx context.Context, user oauth2.TokenSource, postToken string, p Payment) (event.PaymentTransaction, error) {
	return c.pay(ctx, walletPayment{op: "Payment_RenewPost", kind: event.TransactionRenew, price: func(p Pricing) Price { return p.Renew }}, user, postToken, p)
}

// Publish pays for publishing a post the user submitted and that waits
// for payment, from the app's wallet (operation Payment_PublishUserPost).
// Its price is
// pricing's submit. Money moves at most once, as for [Client.Reorder].
func (c *Client) Publish(ctx context.Context, user oauth2.TokenSource, postToken string, p Payment) (event.PaymentTransaction, error) {
	return c.pay(ctx, walletPayment{op: "Payment_PublishUserPost", kind: event.TransactionSubmit, price: func(p Pricing) Price { return p.Submit }}, user, postToken, p)
}

// walletPayment is what differs between the wallet's payments.
type walletPayment struct {
	op    string
	kind  event.TransactionType
	price func(Pricing) Price
}

func (c *Client) pay(ctx context.Context, w walletPayment, user oauth2.TokenSource, postToken string, p Payment) (event.PaymentTransaction, error) {
	if err := errors.Join(checkPostToken(postToken), checkPaymentID(p.ID)); err != nil {
		return event.PaymentTransaction{}, notSent(w.op, err)
	}
	if err := c.checkPrice(ctx, w.op, user, postToken, p, w.price); err != nil {
		return event.PaymentTransaction{}, err
	}
	body, err := json.Marshal(struct {
		ID           string `json:"id"`
		ExtraDetails string `json:"extra_details,omitempty"`
	}{p.ID, p.ExtraDetails})
	if err != nil {
		return event.PaymentTransaction{}, fmt.Errorf("divar: %s: %w", w.op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, paymentWait(p))
	defer cancel()
	var t event.PaymentTransaction
	err = dedupe.Once(ctx, func(ctx context.Context) error {
		t, err = c.settle(ctx, w, user, postToken, p, body)
		return err
	})
	return t, err
}

// checkPrice refuses, before anything is paid, a service the post's
// pricing says is unavailable or dearer than p allows.
func (c *Client) checkPrice(ctx context.Context, op string, user oauth2.TokenSource, postToken string, p Payment, pick func(Pricing) Price) error {
	pr, err := c.PostPricing(ctx, user, postToken)
	if err != nil {
		return dedupe.NotSent(fmt.Errorf("divar: %s: checking the price first: %w", op, err))
	}
	switch s := pick(pr); {
	case !s.Available:
		return notSent(op, ErrPaymentUnavailable)
	case p.MaxCostRials > 0 && s.CostRials > p.MaxCostRials:
		return notSent(op, fmt.Errorf("%w: %d rials, at most %d", ErrPriceAbove, s.CostRials, p.MaxCostRials))
	}
	return nil
}

// settle sends the payment and finds its outcome (see [Client.Reorder]).
func (c *Client) settle(ctx context.Context, w walletPayment, user oauth2.TokenSource, postToken string, p Payment, body []byte) (event.PaymentTransaction, error) {
	for round := 1; ; round++ {
		var v struct {
			ID          string                    `json:"id"`
			CostRials   event.Int64               `json:"cost_rials"`
			Transaction *event.PaymentTransaction `json:"transaction"`
		}
		err := c.payCall(ctx, request{op: w.op, user: user, needsUser: true, params: []string{postToken}, body: body}, &v)
		if err == nil {
			t := v.Transaction
			if t == nil {
				// Reorder answers {id, cost_rials}, no state: confirmed by
				// the lookup, as Divar's description of
				// Payment_GetTransaction asks after a payment.
				t = &event.PaymentTransaction{ID: v.ID, CostRials: v.CostRials, State: event.TransactionPending, Type: w.kind, ExtraDetails: p.ExtraDetails}
			}
			if t.ID == "" {
				t.ID = p.ID
			}
			if !p.Reports(t) {
				return *t, &PaymentError{Operation: w.op, ID: p.ID, Transaction: t, Err: ErrPaymentUnresolved,
					Cause: fmt.Errorf("%w: Divar answered the transaction %q", ErrMalformedAnswer, t.ID)}
			}
			return c.follow(ctx, w.op, *t)
		}
		used := isIDUsed(err)
		switch {
		case !used && errors.Is(err, dedupe.ErrNotSent) && round == 1:
			return event.PaymentTransaction{}, err // refused: nothing paid
		case !used && errors.Is(err, dedupe.ErrNotSent):
			// Refused after an attempt whose answer was lost: Divar may
			// check something else before the id; fail closed.
			return event.PaymentTransaction{}, &PaymentError{Operation: w.op, ID: p.ID, Err: ErrPaymentUnresolved, Cause: err}
		}
		// The payment may have been made: find it rather than pay again.
		c.log.WarnContext(ctx, "kenarkit: a payment's answer is unknown; looking its transaction up",
			"operation", w.op, "payment_id", p.ID, "error", err.Error())
		t, lerr := c.Transaction(ctx, p.ID)
		switch {
		case lerr == nil && t.Type != "" && t.Type != w.kind: // another payment's id
			another := fmt.Errorf("%w, by a %s transaction: give each payment its own id", ErrPaymentIDUsed, t.Type)
			if round == 1 {
				return event.PaymentTransaction{}, notSent(w.op, another)
			}
			return t, &PaymentError{Operation: w.op, ID: p.ID, Transaction: &t, Err: ErrPaymentUnresolved, Cause: another}
		case lerr == nil:
			return c.follow(ctx, w.op, t)
		case !errors.Is(lerr, ErrNotFound) || used || round >= maxPaymentRounds:
			return event.PaymentTransaction{}, &PaymentError{Operation: w.op, ID: p.ID, Err: ErrPaymentUnresolved, Cause: errors.Join(err, lerr)}
		}
		// Not found: this attempt did not reach Divar's ledger; the same id
		// is sent again, which Divar refuses should it have gone through.
		if err := c.pause(ctx, round); err != nil {
			return event.PaymentTransaction{}, &PaymentError{Operation: w.op, ID: p.ID, Err: ErrPaymentUnresolved, Cause: err}
		}
	}
}

// follow looks a PENDING transaction up until it is final or the
// payment's wait is over.
func (c *Client) follow(ctx context.Context, op string, t event.PaymentTransaction) (event.PaymentTransaction, error) {
	for attempt := 1; ; attempt++ {
		switch t.State {
		case event.TransactionCompleted:
			return t, nil
		case event.TransactionFailed, event.TransactionRefunded:
			return t, &PaymentError{Operation: op, ID: t.ID, Transaction: &t, Err: ErrPaymentFailed}
		}
		if attempt > 1 {
			if err := c.pause(ctx, attempt-1); err != nil {
				return t, &PaymentError{Operation: op, ID: t.ID, Transaction: &t, Err: ErrPaymentUnresolved, Cause: err}
			}
		}
		next, err := c.Transaction(ctx, t.ID)
		if err != nil {
			return t, &PaymentError{Operation: op, ID: t.ID, Transaction: &t, Err: ErrPaymentUnresolved, Cause: err}
		}
		t = next
	}
}

// pause waits the backoff after attempt, or fails when ctx ends first.
func (c *Client) pause(ctx context.Context, attempt int) error {
	d := c.backoff(attempt)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return fmt.Errorf("gave up waiting: %w", context.DeadlineExceeded)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

func paymentWait(p Payment) time.Duration {
	if p.Wait > 0 {
		return p.Wait
	}
	return DefaultPaymentWait
}

// isIDUsed reports Divar refusing a payment's id as used: 409, or gRPC
// ALREADY_EXISTS (6). Divar's pages do not name the status.
func isIDUsed(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.StatusCode == http.StatusConflict || e.Code == grpcAlreadyExists)
}

const grpcAlreadyExists = 6

// PromotionOperation is what a promotion pays for.
type PromotionOperation string

// The promotions Divar describes (paymentPromotionOperation).
const (
	PromoteReorder PromotionOperation = "PROMOTION_OPERATION_REORDER"
	PromoteRenew   PromotionOperation = "PROMOTION_OPERATION_RENEW"
	PromotePublish PromotionOperation = "PROMOTION_OPERATION_PUBLISH"
)

// Promotion is a payment from the post owner's own wallet.
type Promotion struct {
	Payment   // ExtraDetails is not sent: the operation has none
	Operation PromotionOperation
	// Personal takes it from the user's personal wallet; false, from the
	// business's.
	Personal bool
}

// PromotionResult is Divar's answer to a promotion.
type PromotionResult struct {
	OrderID     string
	AmountRials int64
	PaidAt      time.Time
	// Status is PAY_STATUS_PAID (FAILED is ErrPaymentFailed and
	// RECONCILING past the wait ErrPaymentUnresolved, with this result).
	Status string
}

// The statuses of a promotion.
const (
	PayStatusPaid        = "PAY_STATUS_PAID"
	PayStatusFailed      = "PAY_STATUS_FAILED"
	PayStatusReconciling = "PAY_STATUS_RECONCILING"
)

// PayPromotion pays a post's promotion from its owner's wallet (operation
// Payment_PayPostPromotion). Divar makes its id an idempotency key: the
// client checks pricing first, sends the promotion with p.ID, and sends it
// again with the same id after a lost answer, a 5xx, or a RECONCILING
// status, until Divar answers PAID or FAILED, within p.Wait
// ([ErrPaymentUnresolved] past it). Within an event's handler it is one
// step of dedupe.Once.
func (c *Client) PayPromotion(ctx context.Context, user oauth2.TokenSource, postToken string, p Promotion) (PromotionResult, error) {
	const op = "Payment_PayPostPromotion"
	pick := map[PromotionOperation]func(Pricing) Price{
		PromoteReorder: func(p Pricing) Price { return p.Reorder },
		PromoteRenew:   func(p Pricing) Price { return p.Renew },
		PromotePublish: func(p Pricing) Price { return p.Submit },
	}[p.Operation]
	err := errors.Join(checkPostToken(postToken), checkPaymentID(p.ID))
	if pick == nil {
		err = errors.Join(err, refuse("operation", "%q is not one Divar describes", p.Operation))
	}
	if err != nil {
		return PromotionResult{}, notSent(op, err)
	}
	if err := c.checkPrice(ctx, op, user, postToken, p.Payment, pick); err != nil {
		return PromotionResult{}, err
	}
	body, err := json.Marshal(divarapi.PaymentPayPostPromotionBody{Id: p.ID, IsPersonal: &p.Personal, Operation: divarapi.PaymentPromotionOperation(p.Operation)})
	if err != nil {
		return PromotionResult{}, fmt.Errorf("divar: %s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, paymentWait(p.Payment))
	defer cancel()
	var res PromotionResult
	err = dedupe.Once(ctx, func(ctx context.Context) error {
		var last error
		for attempt := 1; ; attempt++ {
			var v struct {
				AmountRials event.Int64 `json:"amount_rials"`
				OrderID     string      `json:"order_id"`
				PaidAt      time.Time   `json:"paid_at"`
				Status      string      `json:"status"`
			}
			err := c.payCall(ctx, request{op: op, user: user, needsUser: true, params: []string{postToken}, body: body}, &v)
			switch {
			case err == nil:
				res = PromotionResult{OrderID: v.OrderID, AmountRials: int64(v.AmountRials), PaidAt: v.PaidAt, Status: v.Status}
				switch v.Status {
				case PayStatusPaid:
					return nil
				case PayStatusFailed:
					return &PaymentError{Operation: op, ID: p.ID, Err: ErrPaymentFailed}
				}
				last = fmt.Errorf("the promotion is %s (order %s)", v.Status, v.OrderID)
			case errors.Is(err, dedupe.ErrNotSent) && attempt == 1:
				return err // refused before anything was paid
			case errors.Is(err, dedupe.ErrNotSent):
				last = err // a refusal after an attempt whose outcome is unknown
				return &PaymentError{Operation: op, ID: p.ID, Err: ErrPaymentUnresolved, Cause: last}
			default:
				last = err
			}
			if err := c.pause(ctx, attempt); err != nil {
				return &PaymentError{Operation: op, ID: p.ID, Err: ErrPaymentUnresolved, Cause: errors.Join(last, err)}
			}
		}
	})
	return res, err
}

// UserPayment reports a payment the user made to the app, for Divar's
// revenue share (docs: Payment_SubmitUserPayment).
type UserPayment struct {
	// ReferenceID is unique per payment: Divar reconciles by it.
	ReferenceID              string
	AmountRials, ProfitRials int64
	// Services the user paid for ("banner", "title_refinement").
	Services []string
}

// SubmitUserPayment reports a payment the user made to the app (operation
// Payment_SubmitUserPayment). Like a message it is sent again only after a 429
// or a connection never made, and within an event's handler at most once.
func (c *Client) SubmitUserPayment(ctx context.Context, user oauth2.TokenSource, p UserPayment) error {
	const op = "Payment_SubmitUserPayment"
	err := checkID("reference_id", p.ReferenceID, 256)
	if p.AmountRials <= 0 || p.ProfitRials < 0 || p.ProfitRials > p.AmountRials {
		err = errors.Join(err, refuse("amount_rials", "must be positive, with profit_rials from 0 to it"))
	}
	if len(p.Services) == 0 {
		err = errors.Join(err, refuse("services", "is empty"))
	}
	if err != nil {
		return notSent(op, err)
	}
	body, err := json.Marshal(divarapi.PaymentSubmitUserPaymentRequest{
		ReferenceId: p.ReferenceID, AmountRials: strconv.FormatInt(p.AmountRials, 10),
		ProfitRials: strconv.FormatInt(p.ProfitRials, 10), Services: p.Services,
	})
	if err != nil {
		return fmt.Errorf("divar: %s: %w", op, err)
	}
	return dedupe.Once(ctx, func(ctx context.Context) error {
		return c.payCall(ctx, request{op: op, user: user, needsUser: true, body: body}, nil)
	})
}

// PaymentTicket is a ticket Divar gave a page it opened (the ticket_uuid
// query parameter, docs/payment-ticket/README.md): Divar pays the service.
type PaymentTicket struct {
	TicketUUID string
	// UserID or PhoneNumber: at least one (docs/payment-ticket/validate.md
	// advises the user id).
	UserID, PhoneNumber string
	// ServiceCostRials is the service's price, at most what Divar sponsors.
	ServiceCostRials int32
}

// ValidatePaymentTicket checks a payment ticket with Divar before the
// service is given for it (operation PaymentTicket_Validate, no user
// token). It does not spend the
// ticket: the user add-on made with it does. A spent, unknown or
// another user's ticket is [ErrNotFound]; a cost above the sponsored
// amount [ErrValidation]. It returns the issuer's payload.
func (c *Client) ValidatePaymentTicket(ctx context.Context, t PaymentTicket) (map[string]any, error) {
	const op = "PaymentTicket_Validate"
	err := checkID("ticket_uuid", t.TicketUUID, 64)
	if t.UserID == "" && t.PhoneNumber == "" {
		err = errors.Join(err, refuse("user_id", "and phone_number are both empty: Divar needs one"))
	}
	if t.ServiceCostRials <= 0 {
		err = errors.Join(err, refuse("service_cost", "must be positive"))
	}
	if err != nil {
		return nil, notSent(op, err)
	}
	req := divarapi.PaymentTicketValidateRequest{TicketUuid: t.TicketUUID, ServiceCost: t.ServiceCostRials}
	if t.UserID != "" {
		req.UserId = &t.UserID
	}
	if t.PhoneNumber != "" {
		req.PhoneNumber = &t.PhoneNumber
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("divar: %s: %w", op, err)
	}
	var v struct {
		IssuerPayload map[string]any `json:"issuer_payload"`
	}
	err = c.payCall(ctx, request{op: op, idempotent: true, body: body}, &v)
	return v.IssuerPayload, err
}

// payCall sends r with [Client.send]'s retries, errors and redaction, and
// decodes the 2xx answer into out (nil: ignored). Numbers Divar documents
// as int64 arrive as numbers or strings, which event.Int64 reads; the
// generated models take only strings.
func (c *Client) payCall(ctx context.Context, r request, out any) error {
	b, err := c.send(ctx, r)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return malformed(r.op, err.Error())
	}
	return nil
}

// checkPaymentID refuses an id that is not a UUIDv4, as Divar does.
func checkPaymentID(id string) error {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 4 || len(id) != 36 {
		return refuse("id", "%q is not a UUIDv4 (divar.NewPaymentID makes one)", id)
	}
	return nil
}
