// Command coredns is CoreDNS with only the plugins the node bed's Corefile uses: cluster DNS for the pods
// (kubernetes), answered on the pod bridge's address (bind). Nothing is forwarded: no name outside the
// cluster domain resolves, so no query leaves the machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	"github.com/coredns/coredns/coremain"
)

// In CoreDNS's plugin.cfg order: the order in which a query passes the plugins.
var directives = []string{"bind", "errors", "log", "cache", "kubernetes"}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
