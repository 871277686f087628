package divartest

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/google/uuid"
	"github.com/kenarkit/kenarkit/gen/divarapi"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/event"
)

// The fake API's payments play Divar's wallet (kenar-docs docs/payment/*.md,
// the Payment operations of Divar's description): the app's balance,
// each post's prices, transactions by the id the add-on chose, an id
// refused once used by a transaction that did not fail, PENDING
// transactions and RECONCILING promotions, and the PAYMENT_TRANSACTION
// event of every state. Every payment that moved money is a [Charge]:
// tests count them.

// DefaultBalance is the app's wallet balance, in rials, of a new fake API.
const DefaultBalance = 100_000_000

// DefaultPricing is the price of every post's services unless
// [API.SetPricing] says otherwise: docs/payment/pricing.md's example.
var DefaultPricing = divar.Pricing{
	Reorder: divar.Price{CostRials: 400_000, Available: true},
	Submit:  divar.Price{CostRials: 500_000, Available: false},
	Renew:   divar.Price{CostRials: 350_000, Available: true},
}

// Charge is money the fake Divar moved: from the app's wallet (a bump, a
// renewal, a publication) or from the post owner's (a promotion).
type Charge struct {
	ID        string // the payment's id, as the add-on sent it
	Operation string // Divar's operationId: Payment_ReorderPost, …
	PostToken string
	CostRials int64
}

// payments is the fake's wallet, guarded by API.mu.
type payments struct {
	balance      int64
	prices       map[string]divar.Pricing
	tx           map[string]*event.PaymentTransaction
	order        []string       // transaction ids, oldest first
	pendingLeft  map[string]int // id → lookups before a PENDING one completes
	pending      []int          // each next payment: lookups it stays PENDING
	failNext     int            // the next payments that come out FAILED
	reconciling  []int          // each next promotion: calls it answers RECONCILING
	promos       map[string]*promotion
	charges      []Charge
	events       []event.PaymentTransaction
	userPayments map[string]divar.UserPayment
	tickets      map[string]ticket
}

type promotion struct {
	orderID     string
	amount      int64
	left        int // calls still answered RECONCILING
	paidAt      time.Time
	postToken   string
	isPersonal  bool
	operationID string
}

type ticket struct {
	userID    string
	sponsored int32
}

func newPayments() *payments {
	return &payments{
		balance: DefaultBalance, prices: map[string]divar.Pricing{}, tx: map[string]*event.PaymentTransaction{},
		pendingLeft: map[string]int{}, promos: map[string]*promotion{},
		userPayments: map[string]divar.UserPayment{}, tickets: map[string]ticket{},
	}
}

// SetBalance sets the app's wallet balance, in rials.
func (a *API) SetBalance(rials int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pay.balance = rials
}

// Balance is the app's wallet balance, in rials.
func (a *API) Balance() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pay.balance
}

// SetPricing sets the post's prices (paymentGetPostPricing), which the
// payments also follow: an unavailable service is refused.
func (a *API) SetPricing(postToken string, p divar.Pricing) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pay.prices[postToken] = p
}

// Pending makes the next wallet payment's transaction stay
// TRANSACTION_STATE_PENDING for lookups (paymentGetTransaction) before it
// completes; each call queues one more payment.
func (a *API) Pending(lookups int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pay.pending = append(a.pay.pending, lookups)
}

// FailNextPayment makes the next wallet payment's transaction
// TRANSACTION_STATE_FAILED: nothing is taken from the wallet, and the id
// may be used again (Divar refuses only an id whose transaction did not
// fail).
func (a *API) FailNextPayment() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pay.failNext++
}

// Refund gives a completed transaction's cost back to the wallet, as
// Divar does: its state becomes TRANSACTION_STATE_REFUNDED, with an
// event. It reports whether there was such a transaction.
func (a *API) Refund(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.pay.tx[id]
	if !ok || t.State != event.TransactionCompleted {
		return false
	}
	t.State = event.TransactionRefunded
	a.pay.balance += int64(t.CostRials)
	a.pay.events = append(a.pay.events, *t)
	return true
}

// Reconciling makes the next promotion (paymentPayPostPromotion) answer
// PAY_STATUS_RECONCILING, with its order id, to calls calls with its id
// (the first included) before PAY_STATUS_PAID; each call queues one more.
func (a *API) Reconciling(calls int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pay.reconciling = append(a.pay.reconciling, calls)
}

// AddPaymentTicket issues a payment ticket for the user, sponsoring at
// most sponsoredRials (docs/payment-ticket/generate.md).
func (a *API) AddPaymentTicket(ticketUUID, userID string, sponsoredRials int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pay.tickets[ticketUUID] = ticket{userID: userID, sponsored: sponsoredRials}
}

// Charges returns the money moved, in order: one per payment made (a
// failed one moves none; a refund does not remove its charge: see
// [API.PaymentTransactions] for the states).
func (a *API) Charges() []Charge {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Charge(nil), a.pay.charges...)
}

// PaymentTransactions returns the app's transactions, oldest first.
func (a *API) PaymentTransactions() []event.PaymentTransaction {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]event.PaymentTransaction, len(a.pay.order))
	for i, id := range a.pay.order {
		out[i] = *a.pay.tx[id]
	}
	return out
}

// UserPayments returns the user payments reported
// (paymentSubmitUserPayment), by reference id.
func (a *API) UserPayments() map[string]divar.UserPayment {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]divar.UserPayment, len(a.pay.userPayments))
	for k, v := range a.pay.userPayments {
		out[k] = v
	}
	return out
}

// PaymentEvents returns the PAYMENT_TRANSACTION events Divar sends the
// add-on, one per state a transaction took, in order, each ready for
// [Divar.Event] (docs/events/payment.md's shape, under
// payment_transaction).
func (a *API) PaymentEvents() []*Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*Request, len(a.pay.events))
	for i, t := range a.pay.events {
		out[i] = Event(event.TypePaymentTransaction).Set("payment_transaction", map[string]any{
			"id": t.ID, "cost_rials": int64(t.CostRials), "extra_details": t.ExtraDetails,
			"state": string(t.State), "type": string(t.Type),
		})
	}
	return out
}

// LostAnswer is a call Divar makes and whose answer is lost: the fake
// does the call, then closes the connection without answering.
func LostAnswer() Fault { return Fault{Lose: true} }

// The wallet's plays, rows of apiOps by Divar's operationIds.

func (a *API) getBalance(*call) (any, *divarError) {
	return map[string]string{"balance_rials": strconv.FormatInt(a.pay.balance, 10)}, nil
}

func (a *API) getPostPricing(c *call) (any, *divarError) {
	p := a.pricing(c.params["post_token"])
	price := func(p divar.Price) map[string]any {
		return map[string]any{"cost_rials": strconv.FormatInt(p.CostRials, 10), "available": p.Available}
	}
	return map[string]any{"reorder": price(p.Reorder), "submit": price(p.Submit), "renew": price(p.Renew)}, nil
}

func (a *API) reorderPost(c *call) (any, *divarError) {
	t, e := a.walletPay(c, "Payment_ReorderPost", event.TransactionReorder, func(p divar.Pricing) divar.Price { return p.Reorder })
	if e != nil {
		return nil, e
	}
	// docs/payment/reorder.md's {id, cost_rials}, cost_rials an int64 string
	// as Divar's description has it (paymentReorderPostResponse)
	return map[string]any{"id": t.ID, "cost_rials": strconv.FormatInt(int64(t.CostRials), 10)}, nil
}

func (a *API) renewPost(c *call) (any, *divarError) {
	return a.transactionAnswer(a.walletPay(c, "Payment_RenewPost", event.TransactionRenew, func(p divar.Pricing) divar.Price { return p.Renew }))
}

func (a *API) publishUserPost(c *call) (any, *divarError) {
	return a.transactionAnswer(a.walletPay(c, "Payment_PublishUserPost", event.TransactionSubmit, func(p divar.Pricing) divar.Price { return p.Submit }))
}

func (a *API) pricing(post string) divar.Pricing {
	if p, ok := a.pay.prices[post]; ok {
		return p
	}
	return DefaultPricing
}

func (a *API) transactionAnswer(t *event.PaymentTransaction, e *divarError) (any, *divarError) {
	if e != nil {
		return nil, e
	}
	return map[string]any{"transaction": transactionJSON(t)}, nil
}

func transactionJSON(t *event.PaymentTransaction) map[string]any {
	return map[string]any{
		"id": t.ID, "app_slug": t.AppSlug, "cost_rials": strconv.FormatInt(int64(t.CostRials), 10),
		"created_at": t.CreatedAt, "extra_details": t.ExtraDetails, "state": string(t.State), "type": string(t.Type),
	}
}

// paymentID reads the payment's id, which Divar requires to be a UUIDv4.
func paymentID(id string) *divarError {
	if u, err := uuid.Parse(id); err != nil || u.Version() != 4 || len(id) != 36 {
		return refusal(http.StatusBadRequest, 3, "id %q is not a UUIDv4: Divar refuses the payment", id)
	}
	return nil
}

// walletPay charges the app's wallet for the post's service, once per id.
func (a *API) walletPay(c *call, op string, kind event.TransactionType, pick func(divar.Pricing) divar.Price) (*event.PaymentTransaction, *divarError) {
	var b struct {
		ID           string `json:"id"`
		ExtraDetails string `json:"extra_details"`
	}
	_ = json.Unmarshal(c.body, &b)
	if e := paymentID(b.ID); e != nil {
		return nil, e
	}
	if t, ok := a.pay.tx[b.ID]; ok && t.State != event.TransactionFailed {
		return nil, refusal(http.StatusConflict, 6, "a transaction with id %s exists: Divar refuses an id used by a successful or partly successful transaction", b.ID)
	}
	post := c.params["post_token"]
	price := pick(a.pricing(post))
	if !price.Available {
		return nil, refusal(http.StatusBadRequest, 9, "the service is not available for post %s now (pricing says available=false)", post)
	}
	if a.pay.balance < price.CostRials {
		return nil, refusal(http.StatusBadRequest, 9, "the app's wallet holds %d rials, less than the %d rials it costs", a.pay.balance, price.CostRials)
	}
	t := &event.PaymentTransaction{
		ID: b.ID, CostRials: event.Int64(price.CostRials), ExtraDetails: b.ExtraDetails, State: event.TransactionCompleted,
		Type: kind, AppSlug: "divartest", CreatedAt: time.Now().UTC().Format(time.RFC3339),
	}
	switch {
	case a.pay.failNext > 0:
		a.pay.failNext--
		t.State = event.TransactionFailed
	default:
		a.pay.balance -= price.CostRials
		a.pay.charges = append(a.pay.charges, Charge{ID: b.ID, Operation: op, PostToken: post, CostRials: price.CostRials})
	}
	if t.State != event.TransactionFailed && len(a.pay.pending) > 0 {
		t.State = event.TransactionPending
		a.pay.pendingLeft[b.ID] = a.pay.pending[0]
		a.pay.pending = a.pay.pending[1:]
	}
	if _, again := a.pay.tx[b.ID]; !again {
		a.pay.order = append(a.pay.order, b.ID)
	}
	a.pay.tx[b.ID] = t
	a.pay.events = append(a.pay.events, *t)
	cp := *t
	return &cp, nil
}

func (a *API) getTransaction(c *call) (any, *divarError) {
	id := c.params["id"]
	t, ok := a.pay.tx[id]
	if !ok {
		return nil, refusal(http.StatusNotFound, 5, "no transaction %s", id)
	}
	if t.State == event.TransactionPending {
		if a.pay.pendingLeft[id] <= 0 {
			t.State = event.TransactionCompleted
			a.pay.events = append(a.pay.events, *t)
		}
		a.pay.pendingLeft[id]--
	}
	return map[string]any{"transaction": transactionJSON(t)}, nil
}

func (a *API) listTransactions(c *call) (any, *divarError) {
	size, from := 20, 0
	q := c.query
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, refusal(http.StatusBadRequest, 3, "page_size %q is not 1 to 100", v)
		}
		size = n
	}
	if v := q.Get("page_token"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, refusal(http.StatusBadRequest, 3, "page_token %q is not one Divar gave", v)
		}
		from = n
	}
	ids := a.pay.order // oldest first; Divar lists newest first
	list := []map[string]any{}
	for i := from; i < len(ids) && i < from+size; i++ {
		list = append(list, transactionJSON(a.pay.tx[ids[len(ids)-1-i]]))
	}
	out := map[string]any{"transactions": list}
	if from+size < len(ids) {
		out["next_page_token"] = strconv.Itoa(from + size)
	}
	return out, nil
}

// payPromotion charges the post owner's wallet once per id; the id is an
// idempotency key: a call again with it answers the order's status.
func (a *API) payPromotion(c *call) (any, *divarError) {
	var b divarapi.PaymentPayPostPromotionBody
	_ = json.Unmarshal(c.body, &b)
	if e := paymentID(b.Id); e != nil {
		return nil, e
	}
	post := c.params["post_token"]
	p, ok := a.pay.promos[b.Id]
	if !ok {
		var pick divar.Price
		switch pr := a.pricing(post); divar.PromotionOperation(b.Operation) {
		case divar.PromoteReorder:
			pick = pr.Reorder
		case divar.PromoteRenew:
			pick = pr.Renew
		case divar.PromotePublish:
			pick = pr.Submit
		}
		if !pick.Available {
			return nil, refusal(http.StatusBadRequest, 9, "the promotion %s is not available for post %s now", b.Operation, post)
		}
		p = &promotion{orderID: "order-" + b.Id[:8], amount: pick.CostRials, postToken: post, paidAt: time.Now().UTC(), operationID: string(b.Operation)}
		if b.IsPersonal != nil {
			p.isPersonal = *b.IsPersonal
		}
		if len(a.pay.reconciling) > 0 {
			p.left = a.pay.reconciling[0]
			a.pay.reconciling = a.pay.reconciling[1:]
		}
		a.pay.promos[b.Id] = p
		a.pay.charges = append(a.pay.charges, Charge{ID: b.Id, Operation: "Payment_PayPostPromotion", PostToken: post, CostRials: pick.CostRials})
	} else if p.postToken != post {
		return nil, refusal(http.StatusConflict, 6, "the id %s was used for another post's promotion", b.Id)
	}
	status := divar.PayStatusPaid
	if p.left > 0 {
		p.left--
		status = divar.PayStatusReconciling
	}
	return map[string]any{"amount_rials": strconv.FormatInt(p.amount, 10), "order_id": p.orderID,
		"paid_at": p.paidAt.Format(time.RFC3339), "status": status}, nil
}

func (a *API) submitUserPayment(c *call) (any, *divarError) {
	var b divarapi.PaymentSubmitUserPaymentRequest
	_ = json.Unmarshal(c.body, &b)
	if _, ok := a.pay.userPayments[b.ReferenceId]; ok {
		return nil, refusal(http.StatusConflict, 6, "reference_id %s was reported already", b.ReferenceId)
	}
	amount, err1 := strconv.ParseInt(b.AmountRials, 10, 64)
	profit, err2 := strconv.ParseInt(b.ProfitRials, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, refusal(http.StatusBadRequest, 3, "amount_rials and profit_rials must be integers")
	}
	a.pay.userPayments[b.ReferenceId] = divar.UserPayment{ReferenceID: b.ReferenceId, AmountRials: amount, ProfitRials: profit, Services: b.Services}
	return struct{}{}, nil
}

// validateTicket answers as docs/payment-ticket/validate.md's table says.
func (a *API) validateTicket(c *call) (any, *divarError) {
	var b divarapi.PaymentTicketValidateRequest
	_ = json.Unmarshal(c.body, &b)
	if (b.UserId == nil || *b.UserId == "") && (b.PhoneNumber == nil || *b.PhoneNumber == "") {
		return nil, refusal(http.StatusBadRequest, 2, "user_identifier is required")
	}
	t, ok := a.pay.tickets[b.TicketUuid]
	switch {
	case !ok:
		return nil, refusal(http.StatusNotFound, 6, "Not found ticket")
	case b.UserId != nil && *b.UserId != t.userID:
		return nil, refusal(http.StatusNotFound, 4, "user not match with ticket user")
	case b.ServiceCost > t.sponsored:
		return nil, refusal(http.StatusBadRequest, 3, "Actual cost is more than sponsored amount")
	}
	return map[string]any{"issuer_payload": map[string]any{"service_type": "REPORT_VERIFICATION"}}, nil
}
