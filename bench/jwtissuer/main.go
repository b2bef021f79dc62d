// Command jwtissuer is the OIDC issuer of bench/run.sh's gatehouse-jwt variant: it serves
// the JWKS of a fixed ES256 benchmark key at /.well-known/jwks.json, or with -token prints
// an ID token of that key for -issuer, valid for a day. The key is a constant so that the
// server and -token agree without sharing a file; it guards nothing.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const benchKeyD = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"

func main() {
	listen := flag.String("listen", "127.0.0.1:19106", "address to serve the JWKS on")
	token := flag.Bool("token", false, "print a token instead of serving")
	issuer := flag.String("issuer", "http://127.0.0.1:19106", "the token's iss")
	flag.Parse()
	d, _ := hex.DecodeString(benchKeyD)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		log.Fatal(err)
	}
	key, err := jwk.Import(priv)
	if err != nil {
		log.Fatal(err)
	}
	_ = key.Set(jwk.KeyIDKey, "bench")
	_ = key.Set(jwk.AlgorithmKey, jwa.ES256())
	if *token {
		tok, err := jwt.NewBuilder().Issuer(*issuer).Subject("bench").Audience([]string{"bench"}).
			IssuedAt(time.Now()).Expiration(time.Now().Add(24*time.Hour)).Claim("token_use", "id").Build()
		if err != nil {
			log.Fatal(err)
		}
		signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), key))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(signed))
		return
	}
	pub, err := key.PublicKey()
	if err != nil {
		log.Fatal(err)
	}
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	body, err := json.Marshal(set)
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
