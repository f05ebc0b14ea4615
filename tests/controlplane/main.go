// secprov-controlplane: a real, local Kubernetes control plane for tests.
//
// One process embeds etcd, kube-apiserver and a few kube-controller-manager
// controllers (garbage-collector, namespace, serviceaccount(-token),
// deployment, replicaset). There is no scheduler and no kubelet: Pods stay
// Pending.
//
// The apiserver port is kept in DIR/apiserver.port: later starts on the same
// data dir reuse it (and fail if it is taken), so kubeconfigs and running
// clients stay valid across restarts.
//
//	secprov-controlplane --data-dir DIR [--port N] [--etcd-port N] [--etcd-compaction-interval D] [--v N]
//	secprov-controlplane sa-kubeconfig --kubeconfig DIR/admin.kubeconfig \
//	    --namespace NS --service-account SA --out FILE [--duration 1h]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/grpclog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "sa-kubeconfig":
			setupLogging(0)
			if err := saKubeconfigMain(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "sa-kubeconfig:", err)
				os.Exit(1)
			}
			return
		case "version", "--version":
			fmt.Println("secprov-controlplane, Kubernetes", version.Get().GitVersion)
			return
		}
	}
	fs := flag.NewFlagSet("secprov-controlplane", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage:
  secprov-controlplane --data-dir DIR [--port N] [--etcd-port N] [--etcd-compaction-interval D] [--v N]
  secprov-controlplane sa-kubeconfig --kubeconfig KUBECONFIG --namespace NS --service-account SA --out FILE [--duration 1h] [--audience AUD]
  secprov-controlplane version

Flags:
`)
		fs.PrintDefaults()
	}
	dataDir := fs.String("data-dir", "", "directory holding etcd data, PKI, kubeconfigs, pid and ready files (required)")
	port := fs.Int("port", 0, "kube-apiserver secure port on 127.0.0.1 (0 = the one recorded in DIR/"+portFileName+", else pick a free one); recorded for later starts")
	etcdPort := fs.Int("etcd-port", 0, "etcd client port on 127.0.0.1 (0 = pick a free one)")
	verbosity := fs.Int("v", 0, "klog verbosity; 0 logs only warnings and errors")
	compaction := fs.Duration("etcd-compaction-interval", 20*time.Second, "how often kube-apiserver compacts etcd (kube-apiserver's default is 5m)")
	_ = fs.Parse(os.Args[1:])
	if *dataDir == "" || fs.NArg() != 0 {
		fs.Usage()
		os.Exit(2)
	}
	setupLogging(*verbosity)
	if err := run(*dataDir, *port, *etcdPort, *compaction); err != nil {
		fmt.Fprintln(os.Stderr, "secprov-controlplane:", err)
		klog.Flush()
		os.Exit(1)
	}
	klog.Flush()
}

// setupLogging keeps klog quiet: at verbosity 0 only warnings and errors
// reach stderr and nothing is written to files.
func setupLogging(v int) {
	gofs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(gofs)
	if v > 0 {
		_ = gofs.Set("logtostderr", "true")
		_ = gofs.Set("v", strconv.Itoa(v))
		return
	}
	// Not to stderr directly but through per-severity outputs: klog writes
	// a message to the output of its own severity and of every lower one, so
	// warnings and errors each reach the filtered WARNING output once.
	_ = gofs.Set("logtostderr", "false")
	_ = gofs.Set("alsologtostderr", "false")
	_ = gofs.Set("stderrthreshold", "FATAL")
	for _, sev := range []string{"INFO", "ERROR", "FATAL"} {
		klog.SetOutputBySeverity(sev, io.Discard)
	}
	klog.SetOutputBySeverity("WARNING", lineFilter{os.Stderr})
	// etcd's client (inside kube-apiserver) logs each dropped connection as a
	// warning through grpclog; keep only grpc errors.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr))
}

// lineFilter drops klog lines that are pure start-up noise.
type lineFilter struct{ w io.Writer }

func (f lineFilter) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("because it has no resources")) {
		return len(b), nil
	}
	return f.w.Write(b)
}

func run(dataDir string, port, etcdPort int, compaction time.Duration) error {
	start := time.Now()
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	readyFile := filepath.Join(dir, "ready")
	pidFile := filepath.Join(dir, "controlplane.pid")
	if pid, alive := livePid(pidFile); alive && pid != os.Getpid() {
		return fmt.Errorf("already running in %s (pid %d)", dir, pid)
	}
	_ = os.Remove(readyFile)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	defer os.Remove(pidFile)
	defer os.Remove(readyFile)

	p, err := ensurePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}

	// Bind the apiserver port first so that a busy port fails fast.
	listener, err := listenAPIServer(dir, port)
	if err != nil {
		return err
	}
	port = listener.Addr().(*net.TCPAddr).Port
	if etcdPort == 0 {
		if etcdPort, err = freePort(); err != nil {
			return err
		}
	}
	peerPort, err := freePort()
	if err != nil {
		return err
	}

	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	adminKubeconfig := filepath.Join(dir, "admin.kubeconfig")
	kcmKubeconfig := filepath.Join(dir, "pki", "controller-manager.kubeconfig")
	if err := writeCertKubeconfig(adminKubeconfig, server, p.CA.CertPEM, "secprov-admin", p.Admin); err != nil {
		return err
	}
	if err := writeCertKubeconfig(kcmKubeconfig, server, p.CA.CertPEM, "kube-controller-manager", p.KCM); err != nil {
		return err
	}

	sigCtx, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stopSignals()

	etcd, err := startEtcd(dir, etcdPort, peerPort)
	if err != nil {
		listener.Close()
		return err
	}
	etcdClosed := false
	closeEtcd := func() {
		if etcdClosed {
			return
		}
		etcdClosed = true
		done := make(chan struct{})
		etcdLogLevel.SetLevel(zapcore.FatalLevel)
		go func() { etcd.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			klog.Warning("etcd did not close within 5s")
		}
	}
	defer closeEtcd()

	apiCtx, cancelAPI := context.WithCancel(context.Background())
	defer cancelAPI()
	apiDone, err := startAPIServer(apiCtx, dir, p, listener, port, etcdPort, compaction)
	if err != nil {
		listener.Close()
		return err
	}
	// stopAPI cancels the apiserver and waits (bounded) for it to return.
	stopAPI := func() {
		cancelAPI()
		select {
		case <-apiDone:
		case <-time.After(10 * time.Second):
			klog.Warning("kube-apiserver did not stop within 10s")
		}
	}

	if err := waitReadyz(sigCtx, adminKubeconfig, apiDone, etcd.Err()); err != nil {
		stopAPI()
		if sigCtx.Err() != nil {
			return nil // stopped by a signal while starting
		}
		return err
	}

	kcmCtx, cancelKCM := context.WithCancel(context.Background())
	defer cancelKCM()
	kcmStarted := make(chan struct{})
	kcmDone, err := startControllerManager(kcmCtx, kcmKubeconfig, p, kcmStarted)
	if err != nil {
		stopAPI()
		return err
	}
	stopKCM := func() {
		cancelKCM()
		select {
		case <-kcmDone:
		case <-time.After(5 * time.Second):
			klog.Warning("controllers did not stop within 5s")
		}
	}
	select {
	case <-kcmStarted:
	case <-sigCtx.Done():
		stopKCM()
		stopAPI()
		return nil
	case <-time.After(120 * time.Second):
		stopKCM()
		stopAPI()
		return errors.New("controller-manager informers did not sync within 120s")
	}

	// Pods need their namespace's "default" ServiceAccount (admission):
	// wait until the serviceaccount controller has made the first one.
	if err := waitDefaultServiceAccount(sigCtx, adminKubeconfig); err != nil {
		stopKCM()
		stopAPI()
		if sigCtx.Err() != nil {
			return nil
		}
		return err
	}

	if err := os.WriteFile(readyFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		stopKCM()
		stopAPI()
		return err
	}
	fmt.Printf("controlplane ready: kubeconfig=%s port=%d\n", adminKubeconfig, port)
	fmt.Fprintf(os.Stderr, "controlplane: ready after %.1fs (pid %d, etcd 127.0.0.1:%d)\n", time.Since(start).Seconds(), os.Getpid(), etcdPort)

	var runErr error
	select {
	case <-sigCtx.Done():
		fmt.Fprintln(os.Stderr, "controlplane: signal received, stopping")
	case err := <-apiDone:
		runErr = fmt.Errorf("kube-apiserver exited: %v", err)
		apiDone = closedErrChan()
	case err := <-etcd.Err():
		runErr = fmt.Errorf("etcd failed: %v", err)
	}
	stopSignals() // a second signal kills the process the default way
	_ = os.Remove(readyFile)

	// Hard deadline for the whole shutdown.
	go func() {
		time.Sleep(20 * time.Second)
		fmt.Fprintln(os.Stderr, "controlplane: shutdown took over 20s, exiting")
		os.Remove(readyFile)
		os.Remove(pidFile)
		os.Exit(0)
	}()
	stopKCM()
	stopAPI()
	closeEtcd()
	fmt.Fprintln(os.Stderr, "controlplane: stopped")
	return runErr
}

func closedErrChan() <-chan error {
	c := make(chan error)
	close(c)
	return c
}

// waitReadyz polls /readyz with the admin client until it answers "ok".
func waitReadyz(ctx context.Context, kubeconfig string, apiDone <-chan error, etcdErr <-chan error) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	deadline := time.After(170 * time.Second)
	var last error
	for {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-apiDone:
			return fmt.Errorf("kube-apiserver exited: %v", err)
		case err := <-etcdErr:
			return fmt.Errorf("etcd failed: %v", err)
		case <-deadline:
			return fmt.Errorf("kube-apiserver not ready after 170s: %v", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitDefaultServiceAccount(ctx context.Context, kubeconfig string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("serviceaccount default/default not created within 60s: %v", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// livePid reads a pid file and reports whether that process is a live
// secprov-controlplane.
func livePid(pidFile string) (int, bool) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return pid, false
	}
	return pid, strings.Contains(string(cmdline), "secprov-controlplane")
}
