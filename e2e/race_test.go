//go:build race

package e2e

// raceBuild: the tests run with -race, and build the add-on with it too.
const raceBuild = true
