package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const clusterName = "secprov-test"

func newKubeconfig(server string, caPEM []byte, user string, auth *clientcmdapi.AuthInfo) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = auth
	cfg.Contexts[clusterName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = clusterName
	return cfg
}

// writeCertKubeconfig writes a kubeconfig that authenticates with a client
// certificate, everything embedded (*-data fields). The file is 0600.
func writeCertKubeconfig(file, server string, caPEM []byte, user string, kp *keyPair) error {
	cfg := newKubeconfig(server, caPEM, user, &clientcmdapi.AuthInfo{
		ClientCertificateData: kp.CertPEM,
		ClientKeyData:         kp.KeyPEM,
	})
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	return writeAtomic(file, b, 0o600)
}

// saKubeconfigMain implements `secprov-controlplane sa-kubeconfig`.
func saKubeconfigMain(args []string) error {
	fs := flag.NewFlagSet("sa-kubeconfig", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "admin kubeconfig used to create the ServiceAccount and request the token (required)")
	namespace := fs.String("namespace", "default", "namespace of the ServiceAccount")
	sa := fs.String("service-account", "", "ServiceAccount name (required; created if missing)")
	out := fs.String("out", "", "kubeconfig file to write (required)")
	duration := fs.Duration("duration", time.Hour, "token lifetime (the apiserver's minimum is 10m)")
	audience := fs.String("audience", "", "token audience (default: the apiserver's own)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kubeconfig == "" || *sa == "" || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("--kubeconfig, --service-account and --out are required")
	}
	if *duration < 10*time.Minute {
		return fmt.Errorf("--duration must be at least 10m")
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err = cs.CoreV1().ServiceAccounts(*namespace).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: *sa, Namespace: *namespace},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ServiceAccount %s/%s: %w", *namespace, *sa, err)
	}
	secs := int64(duration.Seconds())
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}
	if *audience != "" {
		tr.Spec.Audiences = []string{*audience}
	}
	tr, err = cs.CoreV1().ServiceAccounts(*namespace).CreateToken(ctx, *sa, tr, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("requesting token for %s/%s: %w", *namespace, *sa, err)
	}

	caPEM := restCfg.TLSClientConfig.CAData
	if len(caPEM) == 0 && restCfg.TLSClientConfig.CAFile != "" {
		if caPEM, err = os.ReadFile(restCfg.TLSClientConfig.CAFile); err != nil {
			return err
		}
	}
	user := "system:serviceaccount:" + *namespace + ":" + *sa
	cfg := newKubeconfig(restCfg.Host, caPEM, user, &clientcmdapi.AuthInfo{Token: tr.Status.Token})
	cfg.Contexts[clusterName].Namespace = *namespace
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	if err := writeAtomic(*out, b, 0o600); err != nil {
		return err
	}
	fmt.Printf("wrote %s (user %s, expires %s)\n", *out, user, tr.Status.ExpirationTimestamp.UTC().Format(time.RFC3339))
	return nil
}
