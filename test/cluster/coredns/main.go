// Command coredns is CoreDNS with the plugins addons/coredns.yaml uses.
package main

import (
	"github.com/coredns/coredns/coremain"

	// The plugins of our Corefile; their order of execution is CoreDNS's own (dnsserver directives).
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
