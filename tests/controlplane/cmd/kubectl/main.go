// kubectl built from the same Kubernetes release as the control plane, for machines that
// have none (a fresh Debian 12).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	os.Exit(cli.Run(cmd.NewDefaultKubectlCommand()))
}
