package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/rest"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	apiserveroptions "k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// startAPIServer configures kube-apiserver exactly as its command line would
// (its own flag set only) and runs it in a goroutine. The returned channel
// yields Run's result once the server has stopped (after ctx is cancelled).
func startAPIServer(ctx context.Context, dataDir string, p *pkiFiles, listener net.Listener, port, etcdPort int, compaction time.Duration) (<-chan error, error) {
	s := apiserveroptions.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range s.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	args := []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdPort),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dataDir, "pki", "apiserver-generated"),
		"--tls-cert-file=" + p.ServingCertFile(),
		"--tls-private-key-file=" + p.ServingKeyFile(),
		"--client-ca-file=" + p.ClientCAFile(),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-signing-key-file=" + p.SAKeyFile,
		"--service-account-key-file=" + p.SAPubFile,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		// Go's CPU profile at /debug/pprof/ (admin client only) when asked, to see what a
		// workload costs the API server (docs/benchmarks.md, session 28).
		"--profiling=" + fmt.Sprint(os.Getenv("SECPROV_CONTROLPLANE_PROFILING") == "1"),
		// Short, so resource versions expire within a test as they do on a busy cluster
		// (a watch from a compacted version gets a real 410 Gone).
		"--etcd-compaction-interval=" + compaction.String(),
		// ConfigMap watches go to etcd, so compaction shows through them at once; other
		// resources keep the watch cache.
		"--watch-cache-sizes=configmaps#0",
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("kube-apiserver flags: %w", err)
	}
	// Use the already-bound listener: no race for the port.
	s.SecureServing.Listener = listener
	s.SecureServing.BindPort = port

	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return nil, err
	}
	// kube-apiserver's loopback clients should not log self-issued warnings.
	rest.SetDefaultWarningHandler(rest.NoWarnings{})

	completed, err := s.Complete(ctx)
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return nil, fmt.Errorf("kube-apiserver options: %w", utilerrors.NewAggregate(errs))
	}
	config, err := apiserverapp.NewConfig(completed)
	if err != nil {
		return nil, err
	}
	cc, err := config.Complete()
	if err != nil {
		return nil, err
	}
	server, err := apiserverapp.CreateServerChain(cc)
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver: %w", err)
	}
	prepared, err := server.PrepareRun()
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- prepared.Run(ctx) }()
	return done, nil
}
