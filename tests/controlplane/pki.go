package main

// PKI for the test control plane. Everything is generated once and kept in
// <data-dir>/pki, so a restart with the same data dir keeps old kubeconfigs
// valid. Private keys are written 0600 and never printed.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

const certValidity = 10 * 365 * 24 * time.Hour

type keyPair struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

type pkiFiles struct {
	Dir string

	CA       *keyPair // signs the apiserver serving cert
	ClientCA *keyPair // signs client certs (admin, controller-manager)
	Serving  *keyPair
	Admin    *keyPair
	KCM      *keyPair

	SAKeyFile string // SA token signing key (private, PEM)
	SAPubFile string // matching public key
}

func (p *pkiFiles) path(name string) string { return filepath.Join(p.Dir, name) }

func (p *pkiFiles) CAFile() string       { return p.path("ca.crt") }
func (p *pkiFiles) ClientCAFile() string { return p.path("client-ca.crt") }
func (p *pkiFiles) ServingCertFile() string {
	return p.path("apiserver.crt")
}
func (p *pkiFiles) ServingKeyFile() string { return p.path("apiserver.key") }

// ensurePKI loads the PKI from dir, creating whatever is missing. If a CA is
// (re)created, every certificate it signs is re-issued.
func ensurePKI(dir string) (*pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pkiFiles{Dir: dir}
	var err error
	var caNew, clientCANew bool
	if p.CA, caNew, err = loadOrCreate(p.path("ca"), nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "secprov-test-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}, false); err != nil {
		return nil, err
	}
	if p.ClientCA, clientCANew, err = loadOrCreate(p.path("client-ca"), nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "secprov-test-client-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}, false); err != nil {
		return nil, err
	}
	if p.Serving, _, err = loadOrCreate(p.path("apiserver"), p.CA, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
	}, caNew); err != nil {
		return nil, err
	}
	if p.Admin, _, err = loadOrCreate(p.path("admin"), p.ClientCA, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "secprov-admin", Organization: []string{"system:masters"}},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, clientCANew); err != nil {
		return nil, err
	}
	// The controller-manager runs every controller with its own identity
	// (no per-controller service-account credentials), so it is a master.
	if p.KCM, _, err = loadOrCreate(p.path("controller-manager"), p.ClientCA, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "system:kube-controller-manager", Organization: []string{"system:masters"}},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, clientCANew); err != nil {
		return nil, err
	}
	p.SAKeyFile, p.SAPubFile = p.path("sa.key"), p.path("sa.pub")
	if err := ensureSAKey(p.SAKeyFile, p.SAPubFile); err != nil {
		return nil, err
	}
	return p, nil
}

func ensureSAKey(keyFile, pubFile string) error {
	if _, err := os.Stat(keyFile); err == nil {
		if _, err := os.Stat(pubFile); err == nil {
			return nil
		}
		// Re-derive the public key from the private key.
		key, err := readKey(keyFile)
		if err != nil {
			return err
		}
		return writePub(pubFile, key.Public())
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := writeKey(keyFile, key); err != nil {
		return err
	}
	return writePub(pubFile, key.Public())
}

func writePub(file string, pub crypto.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	return writeAtomic(file, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
}

// loadOrCreate loads base.crt/base.key; creates them (signed by parent, or
// self-signed when parent is nil) when missing, unreadable or force is set.
func loadOrCreate(base string, parent *keyPair, tmpl *x509.Certificate, force bool) (*keyPair, bool, error) {
	certFile, keyFile := base+".crt", base+".key"
	if !force {
		if kp, err := loadKeyPair(certFile, keyFile); err == nil {
			return kp, false, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, false, fmt.Errorf("loading %s: %w", certFile, err)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, false, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	tmpl.NotBefore = time.Now().Add(-1 * time.Hour)
	tmpl.NotAfter = time.Now().Add(certValidity)
	signerCert, signerKey := tmpl, crypto.Signer(key)
	if parent != nil {
		signerCert, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		return nil, false, err
	}
	if err := writeKey(keyFile, key); err != nil {
		return nil, false, err
	}
	if err := writeAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, false, err
	}
	kp, err := loadKeyPair(certFile, keyFile)
	return kp, true, err
}

func loadKeyPair(certFile, keyFile string) (*keyPair, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no certificate", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	return &keyPair{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

func readKey(file string) (crypto.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parseKey(b)
}

func parseKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM key")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, errors.New("unsupported key type")
		}
		return s, nil
	}
	return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
}

// writeKey writes an RSA key in PKCS#1 form ("RSA PRIVATE KEY"), which every
// TLS stack (OpenSSL included) reads.
func writeKey(file string, key *rsa.PrivateKey) error {
	return writeAtomic(file, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
}

func writeAtomic(file string, data []byte, mode os.FileMode) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}
