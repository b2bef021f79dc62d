// Command setup creates the benchmark's HTTP_PROXY REST API on a running gatehouse through
// its management API and prints the API id.
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
	flag.Parse()
	id, err := apisetup.Create(apisetup.Remote(*admin), *backend)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id)
}
