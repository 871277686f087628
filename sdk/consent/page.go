package consent

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/kenarkit/kenarkit/sdk"
	"github.com/kenarkit/kenarkit/sdk/tokens"
)

// page is a short bilingual page: what happened and what to do.
type page struct {
	Title, Fa, En string
}

var (
	pageGranted = page{"اجازه ثبت شد · Access granted",
		"اجازه ثبت شد. می‌توانید به دیوار برگردید.",
		"Access granted. You can go back to Divar."}
	pages = []struct {
		err error
		p   page
	}{
		{ErrDenied, page{"اجازه داده نشد · Access declined",
			"شما اجازه ندادید. برای ادامه، از صفحهٔ آگهی در دیوار دوباره شروع کنید و اجازه را تأیید کنید.",
			"You declined. To continue, start again from the post in Divar and allow access."}},
		{ErrWrongUser, page{"حساب دیگری · Another account",
			"این پیوند برای حساب دیگری در دیوار ساخته شده بود، پس اجازهٔ شما ثبت نشد. با حساب خودتان، از آگهی خودتان در دیوار دوباره شروع کنید.",
			"This link was made for another Divar account, so your consent was not saved. Start again from your own post in Divar, signed in with your own account."}},
		{ErrTooManyStates, page{"افزونه الان شلوغ است · Too many requests",
			"الان درخواست‌های زیادی در جریان است و اجازهٔ شما ثبت نشد. چند دقیقهٔ دیگر از صفحهٔ آگهی در دیوار دوباره شروع کنید.",
			"Too many consents are under way right now, and yours was not saved. Start again from the post in Divar in a few minutes."}},
		{ErrStateExpired, page{"زمان درخواست گذشته است · Request expired",
			"زمان این درخواست گذشته است. از صفحهٔ آگهی در دیوار دوباره شروع کنید.",
			"This request has expired. Start again from the post in Divar."}},
		{ErrStateReplayed, page{"این پیوند قبلاً استفاده شده · Link already used",
			"این پیوند قبلاً استفاده شده است. از صفحهٔ آگهی در دیوار دوباره شروع کنید.",
			"This link was already used. Start again from the post in Divar."}},
		{ErrStateForeign, page{"مرورگر دیگر · Another browser",
			"این درخواست در مرورگر دیگری شروع شده یا کوکی‌ها خاموش‌اند. در همین مرورگر از صفحهٔ آگهی دوباره شروع کنید.",
			"This request was started in another browser, or cookies are off. Start again from the post, in this browser."}},
		{ErrStateInvalid, page{"پیوند نامعتبر · Invalid link",
			"این پیوند معتبر نیست. از صفحهٔ آگهی در دیوار دوباره شروع کنید.",
			"This link is not valid. Start again from the post in Divar."}},
		{ErrCodeRejected, page{"کد اجازه پذیرفته نشد · Code refused",
			"کد اجازه منقضی شده یا قبلاً استفاده شده است. از صفحهٔ آگهی در دیوار دوباره شروع کنید.",
			"The authorization code has expired or was already used. Start again from the post in Divar."}},
		{ErrNoCode, page{"پاسخ ناقص · Incomplete answer",
			"پاسخ دیوار ناقص بود. از صفحهٔ آگهی در دیوار دوباره شروع کنید.",
			"Divar's answer was incomplete. Start again from the post in Divar."}},
		{tokens.ErrDivarUnavailable, page{"دیوار در دسترس نیست · Divar unavailable",
			"الان به دیوار دسترسی نداریم. چند دقیقهٔ دیگر از صفحهٔ آگهی دوباره تلاش کنید.",
			"Divar cannot be reached right now. Try again from the post in a few minutes."}},
		{ErrStoreUnavailable, page{"ذخیره ممکن نشد · Could not save",
			"افزونه الان نمی‌تواند اجازهٔ شما را ذخیره کند. چند دقیقهٔ دیگر دوباره تلاش کنید.",
			"The add-on cannot save your consent right now. Try again in a few minutes."}},
		{ErrDivarRefused, page{"دیوار درخواست را نپذیرفت · Divar refused",
			"دیوار این درخواست را نپذیرفت. بعداً دوباره تلاش کنید؛ اگر تکرار شد، به پشتیبانی افزونه خبر دهید.",
			"Divar refused this request. Try again later; if it happens again, tell the add-on's support."}},
		{tokens.ErrClientRejected, page{"تنظیمات افزونه نادرست است · Add-on misconfigured",
			"تنظیمات افزونه نادرست است. به پشتیبانی افزونه خبر دهید.",
			"The add-on is misconfigured. Please tell the add-on's support."}},
	}
	pageFailed = page{"کار تمام نشد · Could not finish",
		"افزونه نتوانست کار را تمام کند. دوباره تلاش کنید؛ اگر تکرار شد، به پشتیبانی افزونه خبر دهید.",
		"The add-on could not finish. Try again; if it happens again, tell the add-on's support."}
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<style>body{font-family:Vazirmatn,Tahoma,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.7;color:#222}[lang=en]{direction:ltr;text-align:left;color:#555}h1{font-size:1.5rem;margin-bottom:0}h2{font-size:1rem;font-weight:normal;margin-top:0}a.back{display:block;margin-top:2rem;padding:.8rem;border:1px solid #bbb;border-radius:.5rem;text-align:center;color:#222;text-decoration:none}</style>
</head><body>
<h1>{{.fa}}</h1>
<h2 lang="en" dir="ltr">{{.en}}</h2>
<p>{{.Fa}}</p>
<p lang="en" dir="ltr">{{.En}}</p>
<a class="back" href="{{.back}}">بازگشت به دیوار · Back to Divar</a>
</body></html>
`))

// ErrorPage is [Config.OnError]'s default: a short page in Persian and
// English saying what happened and what to do, answered with err.Status.
// It never shows err.Detail.
func ErrorPage(w http.ResponseWriter, r *http.Request, err *CallbackError) {
	p := pageFailed
	for _, c := range pages {
		if errors.Is(err, c.err) {
			p = c.p
			break
		}
	}
	writePage(w, err.Status, p)
}

func writePage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	fa, en, _ := strings.Cut(p.Title, " · ")
	_ = pageTemplate.Execute(w, map[string]string{
		"Title": p.Title, "fa": fa, "en": en, "Fa": p.Fa, "En": p.En,
		"back": sdk.CompletionURL, // Divar's address for the end of any flow
	})
}
