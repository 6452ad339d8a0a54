package router_test

import (
	"fmt"

	"github.com/portico-gw/portico/router"
)

func ExampleTree_Lookup() {
	tr, err := router.New([]router.Route[string]{
		{Name: "user", Methods: []string{"GET"}, Pattern: "/users/:id", Value: "users-svc"},
		{Name: "assets", Hosts: []string{"*.example.com"}, Pattern: "/static/*path",
			Value: "cdn"},
	})
	if err != nil {
		panic(err)
	}

	var ps router.Params
	path, err := router.Normalize(nil, []byte("/static/./css/%7Esite.css"))
	if err != nil {
		panic(err)
	}
	v, st := tr.Lookup([]byte("www.Example.com"), []byte("GET"), path, &ps)
	fmt.Println(v, st, string(ps.Get("path")))
	fmt.Println(string(router.Expand(nil, "/v2/files/*path", &ps)))

	_, st = tr.Lookup(nil, []byte("DELETE"), []byte("/users/7"), &ps)
	fmt.Println(st, string(tr.AppendAllow(nil, nil, []byte("/users/7"))))
	// Output:
	// cdn Found css/~site.css
	// /v2/files/css/~site.css
	// MethodNotAllowed GET, HEAD
}
