package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apiserver/pkg/server/healthz"
	v1core "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/keyutil"
	"k8s.io/controller-manager/pkg/clientbuilder"
	"k8s.io/klog/v2"
	kcmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	kcmoptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
	"k8s.io/kubernetes/cmd/kube-controller-manager/names"
	serviceaccountcontroller "k8s.io/kubernetes/pkg/controller/serviceaccount"
	"k8s.io/kubernetes/pkg/serviceaccount"
)

// The controllers this control plane runs. Everything else (scheduling,
// nodes, volumes, endpoints, jobs, ...) is off: there are no kubelets.
var kcmControllers = []string{
	names.GarbageCollectorController,
	names.NamespaceController,
	names.ServiceAccountController,
	names.ServiceAccountTokenController,
	names.DeploymentController,
	names.ReplicaSetController,
}

type noHealthChecks struct{}

func (noHealthChecks) AddHealthChecker(...healthz.HealthChecker) {}

// controllerLoop adapts a run function to kcmapp.Controller.
type controllerLoop struct {
	name string
	run  func(context.Context)
}

func (c controllerLoop) Name() string            { return c.name }
func (c controllerLoop) Run(ctx context.Context) { c.run(ctx) }

// startControllerManager runs the chosen kube-controller-manager controllers
// in this process. Options are set directly: kube-controller-manager's flags
// are never registered (they would clash with kube-apiserver's feature gates).
// started is closed once the controllers run and their shared informers have
// synced; the returned channel is closed when they have all stopped.
func startControllerManager(ctx context.Context, kubeconfigFile string, p *pkiFiles, started chan<- struct{}) (<-chan struct{}, error) {
	s, err := kcmoptions.NewKubeControllerManagerOptions()
	if err != nil {
		return nil, err
	}
	s.Generic.ClientConnection.Kubeconfig = kubeconfigFile
	s.Generic.LeaderElection.LeaderElect = false
	s.Generic.Controllers = kcmControllers
	s.SecureServing.BindPort = 0 // no kube-controller-manager HTTPS endpoint
	s.SAController.ServiceAccountKeyFile = p.SAKeyFile
	s.SAController.RootCAFile = p.CAFile()
	s.KubeCloudShared.UseServiceAccountCredentials = false
	s.ControllerShutdownTimeout = 3 * time.Second

	c, err := s.Config(ctx, kcmapp.KnownControllers(), kcmapp.ControllersDisabledByDefault(), kcmapp.ControllerAliases())
	if err != nil {
		return nil, fmt.Errorf("kube-controller-manager config: %w", err)
	}
	cc := c.Complete()

	cc.EventBroadcaster.StartRecordingToSink(&v1core.EventSinkImpl{Interface: cc.Client.CoreV1().Events("")})
	rootClientBuilder := clientbuilder.SimpleControllerClientBuilder{ClientConfig: cc.Kubeconfig}
	cctx, err := kcmapp.CreateControllerContext(ctx, cc, rootClientBuilder, rootClientBuilder)
	if err != nil {
		cc.EventBroadcaster.Shutdown()
		return nil, fmt.Errorf("kube-controller-manager context: %w", err)
	}

	// The token controller (legacy SA token Secrets) is special-cased by
	// kube-controller-manager: built first, with the root client.
	tokens, err := newTokensController(cctx, rootClientBuilder)
	if err != nil {
		cc.EventBroadcaster.Shutdown()
		return nil, err
	}
	descriptors := kcmapp.NewControllerDescriptors()
	delete(descriptors, names.ServiceAccountTokenController)
	controllers, err := kcmapp.BuildControllers(ctx, cctx, descriptors, nil, noHealthChecks{})
	if err != nil {
		cc.EventBroadcaster.Shutdown()
		return nil, fmt.Errorf("kube-controller-manager controllers: %w", err)
	}
	controllers = append([]kcmapp.Controller{tokens}, controllers...)

	cctx.InformerFactory.Start(ctx.Done())
	cctx.ObjectOrMetadataInformerFactory.Start(ctx.Done())
	close(cctx.InformersStarted)

	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cc.EventBroadcaster.Shutdown()
		if !kcmapp.RunControllers(ctx, cctx, controllers, 0, cc.ControllerShutdownTimeout) {
			klog.Warning("kube-controller-manager: some controllers did not stop in time")
		}
	}()
	go func() {
		synced := cctx.InformerFactory.WaitForCacheSync(ctx.Done())
		for t, ok := range synced {
			if !ok {
				klog.Warningf("kube-controller-manager: informer %v did not sync", t)
				return
			}
		}
		if ctx.Err() == nil {
			close(started)
		}
	}()
	return done, nil
}

func newTokensController(cctx kcmapp.ControllerContext, root clientbuilder.ControllerClientBuilder) (kcmapp.Controller, error) {
	cfg := cctx.ComponentConfig.SAController
	privateKey, err := keyutil.PrivateKeyFromFile(cfg.ServiceAccountKeyFile)
	if err != nil {
		return nil, fmt.Errorf("service account token controller key: %w", err)
	}
	rootCA, err := os.ReadFile(cfg.RootCAFile)
	if err != nil {
		return nil, err
	}
	client, err := root.Client("tokens-controller")
	if err != nil {
		return nil, err
	}
	gen, err := serviceaccount.JWTTokenGenerator(serviceaccount.LegacyIssuer, privateKey)
	if err != nil {
		return nil, err
	}
	tc, err := serviceaccountcontroller.NewTokensController(
		klog.Background(),
		cctx.InformerFactory.Core().V1().ServiceAccounts(),
		cctx.InformerFactory.Core().V1().Secrets(),
		client,
		serviceaccountcontroller.TokensControllerOptions{TokenGenerator: gen, RootCA: rootCA},
	)
	if err != nil {
		return nil, fmt.Errorf("creating tokens controller: %w", err)
	}
	workers := int(cfg.ConcurrentSATokenSyncs)
	return controllerLoop{name: names.ServiceAccountTokenController, run: func(ctx context.Context) { tc.Run(ctx, workers) }}, nil
}
