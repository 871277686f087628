//go:build !race

package e2e

// raceBuild: the tests run without -race, and so is the add-on built.
const raceBuild = false
