package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// The apiserver port is part of every kubeconfig written for a data dir, so it
// is kept in the data dir: a restarted control plane comes back at the same
// address and clients made before the restart (a running operator) reconnect.
const portFileName = "apiserver.port"

// recordedPort returns the port an earlier start used in dir: the port file,
// else (a data dir made before the port file existed) the server URL of
// dir/admin.kubeconfig. Zero when there is none.
func recordedPort(dir string) (int, string, error) {
	portFile := filepath.Join(dir, portFileName)
	b, err := os.ReadFile(portFile)
	if err == nil {
		port, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || port <= 0 || port > 65535 {
			return 0, "", fmt.Errorf("%s: not a port number: %q", portFile, strings.TrimSpace(string(b)))
		}
		return port, portFile, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return 0, "", err
	}
	kubeconfig := filepath.Join(dir, "admin.kubeconfig")
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	if cluster, ok := cfg.Clusters[clusterName]; ok {
		if u, err := url.Parse(cluster.Server); err == nil {
			if port, err := strconv.Atoi(u.Port()); err == nil && port > 0 {
				return port, kubeconfig, nil
			}
		}
	}
	return 0, "", nil
}

// listenAPIServer binds the apiserver's port on 127.0.0.1 and records it in
// dir. requested != 0 wins; else the recorded port is reused, and a taken one
// is an error rather than a silent move that would strand existing clients;
// else a new port is picked.
func listenAPIServer(dir string, requested int) (net.Listener, error) {
	port := requested
	if port == 0 {
		recorded, from, err := recordedPort(dir)
		if err != nil {
			return nil, err
		}
		if recorded != 0 {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(recorded)))
			if err != nil {
				return nil, fmt.Errorf("apiserver port %d (recorded in %s, used by the kubeconfigs of this data dir) is not free: %w; "+
					"stop what holds it, or start with another port (--port N, or start.sh DIR N), which is then recorded "+
					"(kubeconfigs and clients made before then stop working)", recorded, from, err)
			}
			return l, nil // already recorded
		}
	}
	var l net.Listener
	var err error
	if port == 0 {
		l, err = listenUnusualPort()
	} else {
		l, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	if err != nil {
		return nil, fmt.Errorf("apiserver port: %w", err)
	}
	port = l.Addr().(*net.TCPAddr).Port
	if err := writeAtomic(filepath.Join(dir, portFileName), []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// listenUnusualPort binds a free port below the kernel's ephemeral range, so
// that while the control plane is stopped the port is not handed out as the
// local end of some outgoing connection (such as a client retrying this very
// address, which can connect to itself) and the next start finds it free.
// Falls back to any free port.
func listenUnusualPort() (net.Listener, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	const first = 20000
	if low > first+1000 { // 20000+: clear of fixed ports such as the demo's probe port 18081
		for range 50 {
			port := first + rand.IntN(low-first)
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return l, nil
			}
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}
