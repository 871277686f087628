package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenarkit/kenarkit/gen"
	"github.com/kenarkit/kenarkit/sdk/addonenv"
	"github.com/kenarkit/kenarkit/sdk/divar"
	"github.com/kenarkit/kenarkit/sdk/divartest"
	"github.com/kenarkit/kenarkit/sdk/event"
	"github.com/kenarkit/kenarkit/sdk/server"
)

const (
	testSlug   = "bump-test"
	testSecret = "bump-test-secret"
	seedPost   = "wZC44q5D" // the seed init callback's post
)

// fakeDivar is the add-on with Divar around it: its callbacks, its API
// (with the wallet) and its OAuth server, and a seller's browser that
// records where it was sent.
type fakeDivar struct {
	divar   *divartest.Divar
	api     *divartest.API
	oauth   *divartest.OAuth
	addon   *Addon
	browser *http.Client

	mu      sync.Mutex
	visited []string
}

func start(t *testing.T) *fakeDivar {
	t.Helper()
	f := &fakeDivar{api: divartest.NewAPI(t), oauth: divartest.NewOAuth(t)}
	f.api.UseOAuth(f.oauth)
	_, f.divar = divartest.Start(t, gen.GetSpec, func(publicURL string) (*server.Server, error) {
		f.oauth.Register(divartest.OAuthClient{ID: testSlug, Secret: testSecret, RedirectURIs: []string{publicURL + callbackPath}})
		cfg := config{Env: addonenv.Env{
			Keys: []string{divartest.Key}, PublicURL: publicURL,
			APIKey: divartest.APIKey, APIURL: f.api.URL(),
			AppSlug: testSlug, OAuthSecret: testSecret, OAuthURL: f.oauth.URL,
		}}
		e, a, err := newServer(cfg, slog.New(slog.DiscardHandler))
		if err == nil {
			f.addon = a
			t.Cleanup(func() { a.Close() })
		}
		return e, err
	})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.browser = &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		f.mu.Lock()
		f.visited = append(f.visited, r.URL.String())
		f.mu.Unlock()
		return nil
	}}
	return f
}

// open fetches u in the seller's browser, following redirects.
func (f *fakeDivar) open(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := f.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// bumpFromPost plays the seller tapping the add-on's button on the seed
// post and consenting; it returns the page the seller ends on.
func (f *fakeDivar) bumpFromPost(t *testing.T) (int, string) {
	t.Helper()
	return f.open(t, f.divar.OpenServerLink(divartest.OpenServerLink()).URL)
}

func (f *fakeDivar) visitedPath(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.visited {
		if strings.Contains(u, path+"?") {
			return u
		}
	}
	return ""
}

const (
	pageBumped   = "آگهی نردبان شد"
	pagePending  = "در حال بررسی"
	pageTooEarly = "فعلاً ممکن نیست"
)

// TestBumpAtMostOnce bumps a seller's post through every failure between
// the add-on and Divar's wallet, then replays the OAuth redirect and
// delivers each payment event twice: never two charges.
func TestBumpAtMostOnce(t *testing.T) {
	const reorder, lookup = "Payment_ReorderPost", "Payment_GetTransaction"
	for _, tc := range []struct {
		name      string
		setup     func(*divartest.API)
		page      string // the outcome the seller sees
		charges   int
		afterEvts string // the outcome once Divar's events arrived
	}{
		{"answered", nil, pageBumped, 1, pageBumped},
		{"answer lost after paying", func(a *divartest.API) { a.FailNext(1, divartest.LostAnswer().On(reorder)) }, pageBumped, 1, pageBumped},
		{"5xx before paying", func(a *divartest.API) { a.FailNext(1, divartest.ServerError(502).On(reorder)) }, pageBumped, 1, pageBumped},
		{"429", func(a *divartest.API) { a.FailNext(2, divartest.TooManyRequests(0).On(reorder)) }, pageBumped, 1, pageBumped},
		{"answer lost and the lookup failing: pending, settled by the event", func(a *divartest.API) {
			a.FailNext(1, divartest.LostAnswer().On(reorder))
			a.FailNext(8, divartest.ServerError(500).On(lookup))
		}, pagePending, 1, pageBumped},
		{"transaction pending past the lookups", func(a *divartest.API) { a.Pending(1 << 30) }, pagePending, 1, pagePending},
		{"bump not available now", func(a *divartest.API) {
			a.SetPricing(seedPost, divar.Pricing{Reorder: divar.Price{CostRials: 400_000, Available: false}})
		}, pageTooEarly, 0, pageTooEarly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t)
			if tc.setup != nil {
				tc.setup(f.api)
			}
			if tc.name == "transaction pending past the lookups" {
				// Wait for the outcome a little only: the page says pending.
				f.addon.wait = 20 * time.Millisecond
			}
			status, page := f.bumpFromPost(t)
			if status != http.StatusOK || !strings.Contains(page, tc.page) {
				t.Fatalf("the seller sees %d:\n%s\nwant %q", status, page, tc.page)
			}
			// The seller reloads the OAuth redirect (back button, double tap).
			if cb := f.visitedPath(callbackPath); cb == "" {
				t.Fatal("the browser never reached the OAuth redirect")
			} else if status, _ := f.open(t, cb); status < 400 {
				t.Errorf("the replayed OAuth redirect was answered %d", status)
			}
			// Divar delivers each payment event, twice.
			for _, ev := range f.api.PaymentEvents() {
				f.divar.Event(ev)
				f.divar.Event(ev)
			}
			if n := len(f.api.Charges()); n != tc.charges {
				t.Fatalf("Divar charged %d times, want %d: %+v", n, tc.charges, f.api.Charges())
			}
			result := f.visitedPath(resultPath)
			if _, page := f.open(t, result); !strings.Contains(page, tc.afterEvts) {
				t.Errorf("after the events the seller sees:\n%s\nwant %q", page, tc.afterEvts)
			}
		})
	}
}

func TestPaymentEventOfNoBumpAcknowledged(t *testing.T) {
	f := start(t)
	f.divar.Event(divartest.Event("PAYMENT_TRANSACTION")) // Divar's example: no bump of this add-on
}

func TestStartRefusesABadPostToken(t *testing.T) {
	f := start(t)
	u := strings.Replace(f.divar.OpenServerLink(divartest.OpenServerLink()).URL, seedPost, "x%22y", 1)
	if status, _ := f.open(t, u); status != http.StatusBadRequest {
		t.Errorf("status %d", status)
	}
	if n := len(f.api.Calls()); n != 0 {
		t.Errorf("Divar's API was called %d times", n)
	}
}

func TestLoadConfigNeedsKeyAndOAuth(t *testing.T) {
	env := map[string]string{"KENAR_IDENTIFICATION_KEY": "k", "KENAR_API_KEY": "a", "KENAR_APP_SLUG": "s", "KENAR_OAUTH_SECRET": "o"}
	for _, tc := range []struct {
		name, unset, set, want string
	}{
		{"complete", "", "", ""},
		{"no API key", "KENAR_API_KEY", "", "KENAR_API_KEY"},
		{"no OAuth secret", "KENAR_OAUTH_SECRET", "", "KENAR_OAUTH_SECRET"},
		{"a price cap that is no number", "", "abc", maxRialsVar},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(func(k string) string {
				if k == tc.unset {
					return ""
				}
				if k == maxRialsVar {
					return tc.set
				}
				return env[k]
			})
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("loadConfig: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLedgerMatchesAnEventToItsBump(t *testing.T) {
	l := NewLedger()
	id := divar.NewPaymentID()
	l.Begin(id, seedPost, "u1")
	l.Paid(id, event.PaymentTransaction{}, &divar.PaymentError{ID: id, Err: divar.ErrPaymentUnresolved})
	for _, tc := range []struct {
		name  string
		t     event.PaymentTransaction
		known bool
		page  string
	}{
		{"another payment's event", event.PaymentTransaction{ID: divar.NewPaymentID(), State: event.TransactionCompleted}, false, pagePending},
		{"its event, the id in capitals", event.PaymentTransaction{ID: strings.ToUpper(id), State: event.TransactionCompleted, CostRials: 400_000}, true, pageBumped},
		{"its refund", event.PaymentTransaction{ID: id, State: event.TransactionRefunded, CostRials: 400_000}, true, "هزینه برگشت داده شد"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := l.Report(&tc.t); got != tc.known {
				t.Fatalf("Report = %v", got)
			}
			if b, _ := l.Get(id); b.outcome().Title != tc.page {
				t.Errorf("the bump reads %q, want %q", b.outcome().Title, tc.page)
			}
		})
	}
}

// TestRefundReachesTheSeller: Divar refunds a bump after it completed; its
// PAYMENT_TRANSACTION event, delivered twice, settles the bump as refunded.
func TestRefundReachesTheSeller(t *testing.T) {
	f := start(t)
	if _, page := f.bumpFromPost(t); !strings.Contains(page, pageBumped) {
		t.Fatalf("the seller sees:\n%s", page)
	}
	if txs := f.api.PaymentTransactions(); len(txs) != 1 || !f.api.Refund(txs[0].ID) {
		t.Fatalf("transactions %+v", txs)
	}
	for _, ev := range f.api.PaymentEvents() {
		f.divar.Event(ev)
		f.divar.Event(ev)
	}
	if _, page := f.open(t, f.visitedPath(resultPath)); !strings.Contains(page, "هزینه برگشت داده شد") {
		t.Errorf("after the refund the seller sees:\n%s", page)
	}
	if n := len(f.api.Charges()); n != 1 {
		t.Errorf("Divar charged %d times", n)
	}
}
