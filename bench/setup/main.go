// Command setup creates the benchmark's HTTP_PROXY REST API on a running gatehouse through
// its management API and prints the API id. With -api-key the method requires an API key of
// a metered usage plan; with -authorizer-bin it is behind a TOKEN authorizer running that
// bootstrap (bench/authfn); with -cognito-pool behind a Cognito authorizer; with -cache the
// stage's response cache answers every GET after the first of a path. The header a
// request then needs follows the id on the same line ("x-api-key: {key}",
// "Authorization: allow", "Authorization: Bearer {token}").
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/gatehouse/gatehouse/bench/apisetup"
)

func main() {
	admin := flag.String("admin", "http://127.0.0.1:9090", "management API base URL")
	backend := flag.String("backend", "http://127.0.0.1:9000", "backend base URL for the integration")
	withKey := flag.Bool("api-key", false, "require an API key in a usage plan with a throttle and a quota")
	authorizer := flag.String("authorizer-bin", "", "put the method behind a TOKEN authorizer running this custom-runtime bootstrap (linux)")
	pool := flag.String("cognito-pool", "", "put the method behind a COGNITO_USER_POOLS authorizer of this user pool ARN")
	token := flag.String("cognito-token", "", "with -cognito-pool: the token requests send")
	cached := flag.Bool("cache", false, "turn the stage's cache cluster on with caching for every method (*/*, TTL 300 s)")
	region := flag.String("region", "us-east-1", "gatehouse's region (serve --region)")
	account := flag.String("account", "000000000000", "gatehouse's account id (serve --account-id)")
	flag.Parse()
	do := apisetup.Remote(*admin)
	switch {
	case *withKey:
		id, key, err := apisetup.CreateWithAPIKey(do, *backend)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, "x-api-key: "+key)
	case *authorizer != "":
		bin, err := os.ReadFile(*authorizer)
		if err != nil {
			log.Fatal(err)
		}
		code, err := apisetup.ZipBootstrap(bin)
		if err != nil {
			log.Fatal(err)
		}
		id, err := apisetup.CreateWithAuthorizer(do, *backend, code, *region, *account)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, "Authorization: allow")
	case *pool != "":
		id, err := apisetup.CreateWithCognito(do, *backend, *pool)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, "Authorization: Bearer "+*token)
	case *cached:
		id, err := apisetup.CreateWithCache(do, *backend)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(id)
	default:
		id, err := apisetup.Create(do, *backend)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(id)
	}
}
