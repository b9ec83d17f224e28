// Command kube-controller-manager mirrors k8s.io/kubernetes/cmd/kube-controller-manager/controller-manager.go
// (the real node of test/node/).
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zone support, as upstream

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
