package consent

//go:generate go run ../../internal/cmd/scopes scopes.gen.go
