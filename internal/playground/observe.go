package playground

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
)

// The add-on's calls to Divar's API the page shows, by path.
var (
	addonPath = regexp.MustCompile(`^/v[12]/open-platform/addons/post/([^/]+)$`)
	botPath   = regexp.MustCompile(`^/v1/open-platform/chat/bot/(conversations|users)/([^/]+)/messages$`)
	convPath  = regexp.MustCompile(`^/v2/open-platform/conversations/([^/]+)/messages$`)
)

// apiTitles name the add-on's calls to Divar's API in the log.
var apiTitles = []struct {
	method string
	path   *regexp.Regexp
	title  string
}{
	{http.MethodPost, addonPath, "افزونهٔ آگهی"},
	{http.MethodDelete, addonPath, "حذف افزونه‌های آگهی"},
	{http.MethodPost, botPath, "پیام چت‌بات"},
	{http.MethodPost, convPath, "پیام در گفتگو"},
	{http.MethodPost, regexp.MustCompile(`^/v1/open-platform/events/subscriptions$`), "اشتراک رویداد"},
	{http.MethodGet, regexp.MustCompile(`^/v1/open-platform/users$`), "کاربر"},
	{http.MethodGet, regexp.MustCompile(`^/v1/open-platform/finder/`), "آگهی"},
}

// verdictOf is Divar's verdict on an answer of its own: accepted (2xx),
// or refused with its message, which names each field by JSON pointer.
func verdictOf(status int, answer []byte) (bool, string) {
	if status/100 == 2 {
		return true, "دیوار پذیرفت (accepted)"
	}
	var body struct {
		Message          string `json:"message"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	_ = json.Unmarshal(answer, &body)
	why := body.Message
	if why == "" {
		why = strings.TrimSpace(body.Error + ": " + body.ErrorDescription)
	}
	if why == "" || why == ":" {
		why = http.StatusText(status)
	}
	return false, fmt.Sprintf("دیوار نپذیرفت (refused, %d): %s", status, why)
}

// observeAPI logs a call the add-on made to Divar's API and shows what it
// changed: a post add-on, a chat-bot or conversation message, drawn
// refused with Divar's reason when Divar refused it.
func (p *Playground) observeAPI(r *http.Request, sent []byte, resp *http.Response, answer []byte) {
	e := Entry{Call: r.Method + " " + r.URL.Path, Title: "Divar API", Request: maskBody(sent, r.Header.Get("Content-Type"))}
	for _, t := range apiTitles {
		if r.Method == t.method && t.path.MatchString(r.URL.Path) {
			e.Title = t.title
			break
		}
	}
	refused := "no answer"
	if resp != nil {
		e.Status, e.Answer = resp.StatusCode, maskBody(answer, resp.Header.Get("Content-Type"))
		e.OK, e.Verdict = verdictOf(resp.StatusCode, answer)
		if e.OK {
			refused = ""
		} else {
			refused = strings.SplitN(e.Verdict, ": ", 2)[1]
		}
	} else {
		e.Verdict = "دیوار در دسترس نبود (Divar unreachable)"
	}
	p.record(e)

	p.mu.Lock()
	defer p.mu.Unlock()
	switch path := r.URL.Path; {
	case addonPath.MatchString(path) && r.Method == http.MethodDelete:
		post := addonPath.FindStringSubmatch(path)[1]
		if refused == "" {
			for i := range p.addons {
				if p.addons[i].Post == post {
					p.addons[i].Deleted = true
				}
			}
		}
	case addonPath.MatchString(path) && r.Method == http.MethodPost:
		v := addonView{Post: addonPath.FindStringSubmatch(path)[1], Refused: refused}
		if json.Unmarshal(sent, &v.Addon) != nil {
			v.Raw = string(sent)
		}
		p.addons = append(p.addons, v)
	case botPath.MatchString(path) && r.Method == http.MethodPost:
		var m sdk.BotMessage
		if json.Unmarshal(sent, &m) != nil {
			m.TextMessage = string(sent)
		}
		p.bot = append(p.bot, bubble{Text: m.TextMessage, Buttons: m.Buttons, Refused: refused})
	case convPath.MatchString(path) && r.Method == http.MethodPost:
		var m sdk.ConversationMessage
		if json.Unmarshal(sent, &m) != nil {
			m.Message = string(sent)
		}
		p.conv = append(p.conv, bubble{Text: m.Message, Buttons: m.ReceiverButtons, Sender: m.SenderButtons, Refused: refused})
	}
	p.version++
}

// observeOAuth logs a call the add-on made to Divar's OAuth server (the
// token endpoint), the code, tokens and secret masked.
func (p *Playground) observeOAuth(r *http.Request, sent []byte, resp *http.Response, answer []byte) {
	e := Entry{Title: "توکن OAuth", Call: r.Method + " " + r.URL.Path, Request: maskBody(sent, r.Header.Get("Content-Type"))}
	if resp != nil {
		e.Status, e.Answer = resp.StatusCode, maskBody(answer, resp.Header.Get("Content-Type"))
		e.OK, e.Verdict = verdictOf(resp.StatusCode, answer)
	}
	p.record(e)
}

// consentPage is Divar's OAuth consent page: the app, the scopes it asks,
// allow and deny.
func (p *Playground) consentPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	view := struct {
		App    string
		Scopes []string
		Allow  string
		Deny   string
	}{App: q.Get("client_id"), Scopes: strings.Fields(q.Get("scope"))}
	q.Set("decision", "allow")
	view.Allow = "/oauth2/decide?" + q.Encode()
	q.Set("decision", "deny")
	view.Deny = "/oauth2/decide?" + q.Encode()
	p.record(Entry{Inbound: true, Title: "صفحهٔ اجازهٔ دیوار", Call: "GET " + r.URL.Path, Request: maskForm(r.URL.Query()),
		OK: true, Verdict: "دیوار از کاربر اجازه می‌خواهد (Divar asks the user's consent)"})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := consentTemplate.Execute(w, view); err != nil {
		p.cfg.Logger.Error("playground: the consent page", "error", err)
	}
}

// consentDecision takes the user's decision to the fake OAuth server and
// sends the browser where it redirects: the add-on's redirect address,
// with a code or an error.
func (p *Playground) consentDecision(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	deny := q.Get("decision") == "deny"
	q.Del("decision")
	p.consentMu.Lock()
	p.oauth.Deny(deny)
	resp, err := p.upstream.Get(p.oauth.URL + "/oauth2/auth?" + q.Encode())
	p.consentMu.Unlock()
	if err != nil {
		http.Error(w, "playground: "+err.Error(), http.StatusBadGateway)
		return
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	verdict := "کاربر اجازه داد (allowed)"
	if deny {
		verdict = "کاربر اجازه نداد (denied)"
	}
	e := Entry{Inbound: true, Title: "تصمیم کاربر", Call: "GET /oauth2/auth", Status: resp.StatusCode, OK: loc != "", Verdict: verdict}
	if loc == "" {
		e.Verdict = "دیوار نپذیرفت (refused): the add-on's OAuth request is not one Divar takes"
	} else {
		e.Answer = "Location: " + maskURL(loc)
	}
	p.record(e)
	if loc == "" {
		http.Error(w, "Divar refuses this OAuth request (a wrong client or redirect_uri)", http.StatusBadRequest)
		return
	}
	u, err := url.Parse(loc)
	if err != nil {
		http.Error(w, "playground: "+err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

var consentTemplate = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>اجازهٔ دسترسی · دیوار</title>
<style>
body{font-family:"Vazirmatn","Noto Sans Arabic",Tahoma,sans-serif;margin:0;background:#f5f5f5;color:#222}
main{max-width:420px;margin:0 auto;background:#fff;min-height:100vh;padding:24px 20px;box-sizing:border-box}
h1{font-size:1.15rem;color:#a62626}
ul{padding-inline-start:1.2em;line-height:1.9}
code{direction:ltr;unicode-bidi:embed;font-size:.85em;background:#f3f3f3;padding:1px 4px;border-radius:4px}
.actions{display:flex;gap:12px;margin-top:28px}
.actions a{flex:1;text-align:center;padding:12px;border-radius:8px;text-decoration:none;font-weight:bold}
#allow{background:#a62626;color:#fff}#deny{border:1px solid #ccc;color:#444}
</style></head><body><main>
<h1>اجازهٔ دسترسی</h1>
<p>برنامهٔ <code>{{.App}}</code> می‌خواهد از طرف شما این کارها را انجام دهد:</p>
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<p>این صفحهٔ دیوارِ زمین بازی است (صفحهٔ اجازهٔ oauth.divar.ir).</p>
<div class="actions"><a id="allow" href="{{.Allow}}">اجازه می‌دهم</a><a id="deny" href="{{.Deny}}">اجازه نمی‌دهم</a></div>
</main></body></html>`))
