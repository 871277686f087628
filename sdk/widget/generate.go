package widget

//go:generate go run ../../internal/cmd/limits ../../api/kenar-api.yaml limits.gen.go
