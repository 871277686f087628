package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// shellCommands returns the command lines of a Markdown document's sh
// blocks, block by block, without comments and blank lines.
func shellCommands(md string) [][]string {
	var blocks [][]string
	var block []string
	in := false
	comment := regexp.MustCompile(`(^|\s+)#.*$`)
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, block = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, block)
		case in:
			if cmd := strings.TrimSpace(comment.ReplaceAllString(line, "")); cmd != "" {
				block = append(block, cmd)
			}
		}
	}
	return blocks
}

// TestReadmesInStep: the Persian getting-started guides (kenarkit's and
// the scaffolded add-on's) give the English READMEs' commands, which stay
// the reference: their first blocks are the same, and every command the
// Persian gives is the English one's, in the same order.
func TestReadmesInStep(t *testing.T) {
	for _, pair := range []struct{ en, fa string }{
		{"../../README.md", "../../README.fa.md"},
		{"starter/README.md", "starter/README.fa.md"},
	} {
		t.Run(pair.fa, func(t *testing.T) {
			read := func(name string) [][]string {
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				return shellCommands(string(b))
			}
			en, fa := read(pair.en), read(pair.fa)
			if len(en) == 0 || len(fa) == 0 {
				t.Fatalf("no sh blocks: %d in %s, %d in %s", len(en), pair.en, len(fa), pair.fa)
			}
			if strings.Join(en[0], "\n") != strings.Join(fa[0], "\n") {
				t.Errorf("the first commands differ:\n%s:\n%s\n%s:\n%s", pair.en, strings.Join(en[0], "\n"), pair.fa, strings.Join(fa[0], "\n"))
			}
			var all []string
			for _, b := range en {
				all = append(all, b...)
			}
			i := 0
			for _, b := range fa {
				for _, cmd := range b {
					for i < len(all) && all[i] != cmd {
						i++
					}
					if i == len(all) {
						t.Errorf("%s gives %q, which %s does not (or not in that order)", pair.fa, cmd, pair.en)
						return
					}
					i++
				}
			}
		})
	}
}

func TestShellCommands(t *testing.T) {
	md := "text\n```sh\n# a comment\ngo run .   # runs it\n\nexport A=1 B=\"x # y\"\n```\n```go\nnot = this\n```\n```sh\nnext\n```\n"
	got := shellCommands(md)
	want := [][]string{{"go run .", `export A=1 B="x`}, {"next"}}
	if len(got) != len(want) || strings.Join(got[0], "|") != strings.Join(want[0], "|") || strings.Join(got[1], "|") != strings.Join(want[1], "|") {
		t.Errorf("shellCommands = %q, want %q", got, want)
	}
}
