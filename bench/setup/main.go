// Command setup creates the benchmark's HTTP_PROXY REST API on a running gatehouse through
// its management API and prints the API id; with -api-key the method requires an API key
// of a metered usage plan, and the key's value follows the id on the same line.
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/gatehouse/gatehouse/bench/apisetup"
)

func main() {
	admin := flag.String("admin", "http://127.0.0.1:9090", "management API base URL")
	backend := flag.String("backend", "http://127.0.0.1:9000", "backend base URL for the integration")
	withKey := flag.Bool("api-key", false, "require an API key in a usage plan with a throttle and a quota")
	flag.Parse()
	if *withKey {
		id, key, err := apisetup.CreateWithAPIKey(apisetup.Remote(*admin), *backend)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, key)
		return
	}
	id, err := apisetup.Create(apisetup.Remote(*admin), *backend)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id)
}
