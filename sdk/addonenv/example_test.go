package addonenv_test

import (
	"fmt"

	"github.com/kenarkit/kenarkit/sdk/addonenv"
)

func ExampleLoad() {
	env := map[string]string{
		"KENAR_IDENTIFICATION_KEY": "new-key, old-key", // while rotating
		"PUBLIC_URL":               "https://addon.example.com/",
	}
	e, err := addonenv.Load(func(k string) string { return env[k] })
	fmt.Println(len(e.Keys), e.Port, e.PublicURL, err)

	_, err = addonenv.Load(func(k string) string { return map[string]string{"KENAR_IDENTIFICATION_KEY": " , "}[k] })
	fmt.Println(err)
	// Output:
	// 2 8080 https://addon.example.com <nil>
	// KENAR_IDENTIFICATION_KEY holds only separators (commas, spaces) and no key: copy the identification key from the Kenar panel (several keys, comma-separated, while rotating one)
}
