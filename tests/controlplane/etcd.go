package main

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// etcdLogLevel is raised when shutting down: closing the embedded etcd logs
// harmless "use of closed network connection" errors.
var etcdLogLevel = zap.NewAtomicLevelAt(zapcore.ErrorLevel)

// startEtcd starts an embedded single-member etcd whose data lives in
// dataDir/etcd, serving plain HTTP on 127.0.0.1:clientPort.
func startEtcd(dataDir string, clientPort, peerPort int) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "secprov"
	cfg.Dir = filepath.Join(dataDir, "etcd")
	cfg.UnsafeNoFsync = true // test data: speed over durability on power loss
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{"stderr"}
	zc := zap.NewProductionConfig()
	zc.Level = etcdLogLevel
	zc.Encoding = "console"
	zc.DisableStacktrace = true
	zc.Sampling = nil
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	zl, err := zc.Build(zap.Fields(zap.String("component", "etcd")))
	if err != nil {
		return nil, err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zl)
	cu := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", fmt.Sprint(clientPort))}
	pu := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", fmt.Sprint(peerPort))}
	cfg.ListenClientUrls = []url.URL{cu}
	cfg.AdvertiseClientUrls = []url.URL{cu}
	cfg.ListenPeerUrls = []url.URL{pu}
	cfg.AdvertisePeerUrls = []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.ListenMetricsUrls = nil

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd failed: %w", err)
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("etcd did not become ready within 60s")
	}
}

// freePort picks a free loopback port for etcd.
func freePort() (int, error) {
	// Below the ephemeral range: etcd binds it a moment after this listener closes, and an
	// ephemeral port can be taken meanwhile as the local end of any outgoing connection
	// (a CI run saw "bind: address already in use" for etcd's client port).
	l, err := listenUnusualPort()
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
