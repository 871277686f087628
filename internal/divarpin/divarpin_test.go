package divarpin

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

const commit = "e869afac2af2e110d5d116a82d2b9c29a1009c33"

// badGateway is the kind of page Divar's sync has committed in place of
// static/openapi-v3.json.
const badGateway = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>`

// original is a small description shaped like Divar's: prose in Persian
// and English, permissions only in prose, an OAuth scheme with a "name".
const original = `{
  "openapi": "3.0.0",
  "info": {"title": "API کنار", "version": "1.0"},
  "servers": [{"url": "https://open-api.divar.ir"}],
  "security": [{"APIKey": []}],
  "tags": [{"name": "Finder", "description": "جستجوگر", "x-displayName": "جستجوگر"}],
  "paths": {
    "/v1/open-platform/finder/post/{token}": {
      "get": {
        "operationId": "Finder_GetPost",
        "summary": "دریافت آگهی",
        "description": "متن.\n\n#### دسترسی‌ها:\n\n##### مجوزهای API Key مورد نیاز:\n\n- ` + "`GET_POST`" + `\n\n##### OAuth اسکوپ موردنیاز:\n\n- ` + "`USER_POSTS_GET`" + `",
        "tags": ["Finder"],
        "parameters": [{"name": "token", "in": "path", "required": true, "description": "توکن", "example": "AaEB0vbO", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "پاسخ موفقیت‌آمیز.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}}},
        "security": [{"APIKey": [], "OAuth": ["USER_POSTS_GET"]}]
      }
    }
  },
  "components": {
    "schemas": {
      "Post": {"title": "آگهی", "type": "object", "required": ["title"], "properties": {
        "title": {"type": "string", "description": "عنوان", "example": "Temporary Residence"},
        "description": {"type": "string", "maxLength": 900},
        "state": {"type": "string", "enum": ["PUBLISHED", "DELETED"], "default": "PUBLISHED"}}}
    },
    "securitySchemes": {
      "APIKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "API Key"},
      "OAuth": {"type": "oauth2", "name": "ACCESS_TOKEN", "description": "OAuth2", "flows": {"authorizationCode": {
        "authorizationUrl": "oauth.divar.ir/oauth2/auth", "tokenUrl": "oauth.divar.ir/oauth2/token",
        "scopes": {"USER_POSTS_GET": "دسترسی به آگهی‌ها"}}}}
    }
  }
}`

func TestMakeRefuses(t *testing.T) {
	tests := []struct {
		name, original, commit, want string
	}{
		{"an HTML 502 page", badGateway, commit, "HTML or XML page"},
		{"an empty file", "  \n", commit, "it is empty"},
		{"a JSON array", `[1]`, commit, "does not start with a JSON object"},
		{"truncated JSON", original[:200], commit, "not an OpenAPI 3 JSON document: unexpected EOF"},
		{"two JSON values", `{"openapi":"3.0.0","paths":{}} {}`, commit, "data after the JSON object"},
		{"a Swagger 2 document", `{"swagger":"2.0","paths":{}}`, commit, `"openapi" field is "", not 3.x`},
		{"no paths", `{"openapi":"3.0.0","info":{"title":"t","version":"1"}}`, commit, `no "paths" object`},
		{"a reference to nowhere", strings.Replace(original, "#/components/schemas/Post", "#/components/schemas/Nope", 1), commit, "not an OpenAPI 3 JSON document"},
		{"a short commit id", original, "e869afa", "not a full kenar-docs commit id"},
		{"a branch name", original, "master", "not a full kenar-docs commit id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Make([]byte(tt.original), tt.commit)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if tt.commit == commit && !errors.Is(err, ErrNotOpenAPI) {
				t.Errorf("err = %v, want ErrNotOpenAPI", err)
			}
		})
	}
}

func TestMakeKeepsFactsDropsProse(t *testing.T) {
	pinned, notes, err := Make([]byte(original), commit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(pinned); err != nil {
		t.Fatalf("the pin does not validate: %v", err)
	}
	again, _, _ := Make([]byte(original), commit)
	if string(again) != string(pinned) {
		t.Error("two pins of the same original differ")
	}
	if !slices.Equal(notes, []string{"dropped components.securitySchemes.OAuth.name: OpenAPI 3 defines it for apiKey schemes only, this one is oauth2"}) {
		t.Errorf("notes = %q", notes)
	}
	for _, r := range string(pinned) {
		if r >= 0x0600 && r <= 0x06FF {
			t.Fatalf("Persian prose left in the pin:\n%s", pinned)
		}
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Summary     *string  `json:"summary"`
			Description *string  `json:"description"`
			Permissions []string `json:"x-kenarkit-api-key-permissions"`
			Parameters  []map[string]any
			Responses   map[string]map[string]any
			Security    []map[string][]string
		}
		Components struct {
			Schemas         map[string]map[string]any
			SecuritySchemes map[string]map[string]any
		}
		Tags []map[string]any
		Pin  Pin `json:"x-kenarkit-pin"`
	}
	if err := json.Unmarshal(pinned, &doc); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths["/v1/open-platform/finder/post/{token}"]["get"]
	post := doc.Components.Schemas["Post"]
	props := post["properties"].(map[string]any)
	checks := []struct {
		name string
		ok   bool
	}{
		{"no summary", op.Summary == nil},
		{"no description", op.Description == nil},
		{"the permissions from the prose", slices.Equal(op.Permissions, []string{"GET_POST"})},
		{"the parameter, without its prose and example", len(op.Parameters) == 1 && op.Parameters[0]["name"] == "token" && op.Parameters[0]["description"] == nil && op.Parameters[0]["example"] == nil},
		{"the response's required description, emptied", op.Responses["200"]["description"] == ""},
		{"the security", len(op.Security) == 1 && slices.Equal(op.Security[0]["OAuth"], []string{"USER_POSTS_GET"})},
		{"no schema title", post["title"] == nil},
		{"a property named description kept, with its facts", props["description"].(map[string]any)["maxLength"] == 900.0},
		{"a property's prose and example dropped", len(props["title"].(map[string]any)) == 1},
		{"enums, defaults, required kept", len(props["state"].(map[string]any)["enum"].([]any)) == 2 && props["state"].(map[string]any)["default"] == "PUBLISHED" && post["required"] != nil},
		{"scopes named by themselves", doc.Components.SecuritySchemes["OAuth"]["flows"].(map[string]any)["authorizationCode"].(map[string]any)["scopes"].(map[string]any)["USER_POSTS_GET"] == "USER_POSTS_GET"},
		{"the API key's header kept", doc.Components.SecuritySchemes["APIKey"]["name"] == "X-API-Key"},
		{"tags without prose", len(doc.Tags) == 1 && len(doc.Tags[0]) == 1},
		{"the origin", doc.Pin.Commit == commit && doc.Pin.Repository == Repository && doc.Pin.Path == SourcePath && len(doc.Pin.SHA256) == 64},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not so in\n%s", c.name, pinned)
		}
	}
	if _, err := ReadPin(pinned); err != nil {
		t.Error(err)
	}
}

func TestReadPinRefuses(t *testing.T) {
	good := Pin{Repository: Repository, Path: SourcePath, Commit: commit, SHA256: strings.Repeat("ab", 32)}
	tests := []struct {
		name string
		edit func(*Pin) *Pin
		want string
	}{
		{"no pin", func(*Pin) *Pin { return nil }, "no x-kenarkit-pin object"},
		{"another repository", func(p *Pin) *Pin { p.Repository = "someone/fork"; return p }, "repository"},
		{"another file", func(p *Pin) *Pin { p.Path = "openapi.json"; return p }, "path"},
		{"a short commit", func(p *Pin) *Pin { p.Commit = "e869afa"; return p }, "not a full commit id"},
		{"no checksum", func(p *Pin) *Pin { p.SHA256 = ""; return p }, "not a SHA-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			b, _ := json.Marshal(map[string]any{"openapi": "3.0.0", PinKey: tt.edit(&p)})
			if _, err := ReadPin(b); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	base, _, err := Make([]byte(original), commit)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(from, to string) []byte {
		b, _, err := Make([]byte(strings.Replace(original, from, to, 1)), commit)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name     string
		old, new []byte
		want     string
	}{
		{"no change", base, base, "no change in Divar's description's facts\n"},
		{"prose only is no change", base, edit("دریافت آگهی", "another summary"), "no change in Divar's description's facts\n"},
		{"a first pin", nil, base, "operations: 1 added, 0 removed, 0 changed\n  + GET /v1/open-platform/finder/post/{token} (Finder_GetPost)\n" +
			"schemas: 1 added, 0 removed, 0 changed\n  + Post\nsecurity schemes: 2 added, 0 removed, 0 changed\n  + APIKey\n  + OAuth\n" +
			"document: 2 added, 0 removed, 0 changed\n  + security\n  + servers\n"},
		{"a property's enum grows", base, edit(`"DELETED"]`, `"DELETED", "EXPIRED"]`), "schemas: 0 added, 0 removed, 1 changed\n  ~ Post: properties.state\n"},
		{"a schema's enum changes", edit(`"type": "object", "required"`, `"type": "object", "enum": [{"title": "a"}, {"title": "b"}], "required"`),
			edit(`"type": "object", "required"`, `"type": "object", "enum": [{"title": "b"}, {"title": "c"}, {"title": "d"}], "required"`),
			"schemas: 0 added, 0 removed, 1 changed\n  ~ Post: enum (+2 -1)\n"},
		{"a permission changes", base, edit("`GET_POST`", "`GET_POST_V2`"), "operations: 0 added, 0 removed, 1 changed\n  ~ GET /v1/open-platform/finder/post/{token} (Finder_GetPost): x-kenarkit-api-key-permissions\n"},
		{"a parameter's schema changes", base, edit(`"schema": {"type": "string"}}]`, `"schema": {"type": "integer"}}]`),
			"operations: 0 added, 0 removed, 1 changed\n  ~ GET /v1/open-platform/finder/post/{token} (Finder_GetPost): parameters.path token\n"},
		{"a response changes", base, edit(`"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}`, `"content": {"application/json": {"schema": {"type": "object"}}}`),
			"operations: 0 added, 0 removed, 1 changed\n  ~ GET /v1/open-platform/finder/post/{token} (Finder_GetPost): responses.200\n"},
		{"an operation moves", base, edit("/v1/open-platform/finder/post/{token}", "/v2/open-platform/finder/post/{token}"),
			"operations: 1 added, 1 removed, 0 changed\n  + GET /v2/open-platform/finder/post/{token} (Finder_GetPost)\n  - GET /v1/open-platform/finder/post/{token} (Finder_GetPost)\n"},
		{"a server moves", base, edit("https://open-api.divar.ir", "https://api.divar.ir"), "document: 0 added, 0 removed, 1 changed\n  ~ servers\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, err := Diff(tt.old, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			Print(&b, groups)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestCheckOverlay(t *testing.T) {
	pinned, _, err := Make([]byte(original), commit)
	if err != nil {
		t.Fatal(err)
	}
	const head = "overlay: 1.0.0\ninfo: {title: t, version: 1.0.0}\nactions:\n"
	tests := []struct {
		name, actions, want string
	}{
		{"an operation of the pin", "  - target: $.paths['/v1/open-platform/finder/post/{token}'].get.responses\n    update: {'429': {description: x}}\n", ""},
		{"a schema of the pin", "  - target: $.components.schemas.Post.properties.title\n    update: {maxLength: 9}\n", ""},
		{"a path the pin does not have", "  - target: $.paths['/v1/open-platform/nope'].get\n    update: {x-a: 1}\n",
			"overlay action 1 (target $.paths['/v1/open-platform/nope'].get): path /v1/open-platform/nope is not in the pin"},
		{"an operation the pin does not have", "  - target: $.paths['/v1/open-platform/finder/post/{token}'].delete\n    update: {x-a: 1}\n",
			"overlay action 1 (target $.paths['/v1/open-platform/finder/post/{token}'].delete): operation DELETE /v1/open-platform/finder/post/{token} is not in the pin"},
		{"a schema the pin does not have", "  - target: $.components.schemas.Nope\n    update: {x-a: 1}\n",
			"overlay action 1 (target $.components.schemas.Nope): matches nothing in the pin"},
		{"the second of two actions", "  - target: $.components.schemas.Post\n    update: {x-a: 1}\n  - target: $.paths['/x'].get\n    remove: true\n",
			"overlay action 2 (target $.paths['/x'].get): path /x is not in the pin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOverlay(pinned, []byte(head+tt.actions))
			if got := errString(err); got != tt.want {
				t.Errorf("err = %q, want %q", got, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestMerge(t *testing.T) {
	pinned, _, err := Make([]byte(original), commit)
	if err != nil {
		t.Fatal(err)
	}
	const head = "overlay: 1.0.0\ninfo: {title: t, version: 1.0.0}\nactions:\n"
	doc, err := Merge(pinned, []byte(head+"  - target: $.components.schemas.Post.properties.title\n    update: {maxLength: 9}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m := doc.Components.Schemas["Post"].Value.Properties["title"].Value.MaxLength; m == nil || *m != 9 {
		t.Errorf("maxLength = %v, want 9", m)
	}
	_, err = Merge(pinned, []byte(head+"  - target: $.components.schemas.Nope\n    update: {maxLength: 9}\n"))
	if err == nil || !strings.Contains(err.Error(), "applying the overlay") {
		t.Errorf("an action that matches nothing: err = %v, want the overlay refused", err)
	}
	if _, err := Merge(pinned, []byte("overlay: 1.0.0\nactions: []\n")); err == nil {
		t.Error("an overlay without info was accepted")
	}
}
