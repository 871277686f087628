package playground

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/widget"
)

//go:embed page.html page.css page.js
var assets embed.FS

// postTitle is the playground post's title.
const postTitle = "آپارتمان ۸۵ متری، ونک"

var pageTemplate = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"action": func(a any) string { b, _ := json.Marshal(a, json.Deterministic(true)); return string(b) },
	"color":  colorClass,
	"pct": func(p *int) string { // in Persian digits, as Divar shows it
		if p == nil {
			return "۰"
		}
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '۰' + r - '0'
			}
			return r
		}, strconv.Itoa(*p))
	},
	"time": func(e Entry) string { return e.At.Format("15:04:05") },
}).ParseFS(assets, "page.html"))

// colorClass is the CSS class of one of Divar's widget colours.
func colorClass(c widget.WidgetColor) string {
	if c == "" {
		return "c-none"
	}
	return "c-" + strings.ToLower(string(c))
}

// view is what the page's fragments show.
type view struct {
	Post    string
	Title   string
	App     string
	Addons  []addonView
	Live    int // index in Addons of the add-on shown on the post; -1: none
	Bot     []bubble
	Conv    []bubble
	Entries []Entry
	URL     string
}

func (p *Playground) view() view {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := view{Post: Post, Title: postTitle, App: AppSlug, URL: p.url, Live: -1,
		Addons: append([]addonView(nil), p.addons...),
		Bot:    append([]bubble(nil), p.bot...), Conv: append([]bubble(nil), p.conv...)}
	for i, a := range v.Addons {
		if a.Refused == "" && !a.Deleted && a.Post == Post {
			v.Live = i // the last one Divar accepted replaced the others
		}
	}
	for i := len(p.entries) - 1; i >= 0; i-- {
		v.Entries = append(v.Entries, p.entries[i])
	}
	return v
}

// fragments are the parts of the page /_/state renders.
var fragments = []string{"post", "bot", "conv", "log"}

func (p *Playground) pageHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := pageTemplate.Execute(w, p.view()); err != nil {
			p.cfg.Logger.Error("playground: the page", "error", err)
		}
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /_/state", p.state)
	mux.HandleFunc("POST /_/tap", p.tapHandler)
	mux.HandleFunc("POST /_/chat", p.chatHandler)
	mux.HandleFunc("POST /_/event", p.eventHandler)
	return mux
}

// state answers the page's fragments as JSON, or 204 when nothing changed
// since version v.
func (p *Playground) state(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	version := p.version
	p.mu.Unlock()
	if r.URL.Query().Get("v") == strconv.Itoa(version) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	v := p.view()
	out := map[string]any{"v": version}
	for _, f := range fragments {
		var b bytes.Buffer
		if err := pageTemplate.ExecuteTemplate(&b, f, v); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out[f] = b.String()
	}
	writeJSON(w, out)
}

// places are the places a tap names.
var places = map[string]place{"post": onPost, "manage": onManage, "bot": inBot, "conv": inConv}

func (p *Playground) tapHandler(w http.ResponseWriter, r *http.Request) {
	var a sdk.Action
	pl, ok := places[r.URL.Query().Get("place")]
	if err := json.UnmarshalRead(r.Body, &a); err != nil || !ok {
		http.Error(w, "a tap is an action (the body) and a place (?place=post, manage, bot or conv)", http.StatusBadRequest)
		return
	}
	writeJSON(w, p.tap(r.Context(), a, pl))
}

func (p *Playground) chatHandler(w http.ResponseWriter, r *http.Request) {
	text := strings.TrimSpace(r.FormValue("text"))
	if text == "" {
		http.Error(w, "an empty message", http.StatusBadRequest)
		return
	}
	p.chat(text, r.FormValue("to") == "bot")
	writeJSON(w, Outcome{})
}

func (p *Playground) eventHandler(w http.ResponseWriter, r *http.Request) {
	req, err := p.event(r.FormValue("type"), r.FormValue("detail"), r.FormValue("json"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.deliver("رویداد "+r.FormValue("type"), req)
	writeJSON(w, Outcome{Toast: "رویداد فرستاده شد؛ پاسخ در گزارش."})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.MarshalWrite(w, v)
}
