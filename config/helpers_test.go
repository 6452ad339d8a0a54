package config

import "github.com/portico-gw/portico/router"

// routerValidate and routerMsgOf let the tests ask the router for its own
// wording instead of copying it.
func routerValidate(p string) error { return router.ValidatePattern(p) }

func routerMsgOf(err error) string { return routerMsg(err) }

// rewriteMsg is what the router says about a bad rewrite template.
func rewriteMsg(template, pattern string) string {
	return routerMsg(router.ValidateRewrite(template, pattern))
}
