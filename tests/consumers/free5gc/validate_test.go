package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestRenderedFragmentsAreAccepted(t *testing.T) {
	for _, path := range []string{"testdata/nrf.yaml", "testdata/amf.yaml"} {
		if err := Validate(nfTypeOf(path), readFile(t, path), t.TempDir()); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// The session-3 defect: the NRF's factory refuses rootcert without key.
func TestRootcertWithoutKeyIsRejected(t *testing.T) {
	path := "testdata/bad/nrf_rootcert-without-key.yaml"
	err := Validate(nfTypeOf(path), readFile(t, path), t.TempDir())
	if err == nil {
		t.Fatalf("%s was accepted", path)
	}
	if msg := err.Error(); !strings.Contains(msg, "RootCert.Key") || !strings.Contains(msg, "non zero value required") {
		t.Errorf("unexpected rejection: %s", msg)
	}
}

func TestAmfWithoutUrlNrfUriIsRejected(t *testing.T) {
	fragment := []byte("configuration:\n  sbi:\n    scheme: https\n  nrfUri: not a url\n")
	if err := Validate("amf", fragment, t.TempDir()); err == nil {
		t.Fatal("an nrfUri that is no URL was accepted")
	}
}

func TestMergeKeepsTheSampleAndTakesTheFragment(t *testing.T) {
	merged, err := Merge("amf", readFile(t, "testdata/amf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Configuration struct {
			Sbi struct {
				Scheme      string `yaml:"scheme"`
				BindingIPv4 string `yaml:"bindingIPv4"`
				Port        int    `yaml:"port"`
				Tls         struct {
					Pem string `yaml:"pem"`
					Key string `yaml:"key"`
				} `yaml:"tls"`
			} `yaml:"sbi"`
			NrfUri         string `yaml:"nrfUri"`
			SupportTaiList []struct {
				Tac string `yaml:"tac"`
			} `yaml:"supportTaiList"`
		} `yaml:"configuration"`
	}
	if err := yaml.Unmarshal(merged, &got); err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if c.Sbi.Scheme != "https" || c.Sbi.Tls.Pem != "/etc/secprov/tls/tls.crt" ||
		c.Sbi.Tls.Key != "/etc/secprov/tls/tls.key" || c.NrfUri != "https://nrf.5gc.svc.cluster.local" {
		t.Errorf("fragment not applied:\n%s", merged)
	}
	if c.Sbi.BindingIPv4 != "127.0.0.18" || c.Sbi.Port != 8000 || len(c.SupportTaiList) != 1 ||
		c.SupportTaiList[0].Tac != "000001" {
		t.Errorf("sample values lost:\n%s", merged)
	}
}

func TestUnknownNfTypeFails(t *testing.T) {
	if err := Validate("upf", []byte("configuration: {}\n"), t.TempDir()); err == nil {
		t.Fatal("a type without a factory here was reported valid")
	}
}

func TestRunExitCodes(t *testing.T) {
	if code := run([]string{"testdata"}); code != 0 {
		t.Errorf("good renderings: exit %d", code)
	}
	if code := run([]string{"testdata/bad"}); code != 1 {
		t.Errorf("bad rendering: exit %d", code)
	}
	if code := run([]string{t.TempDir()}); code != 2 {
		t.Errorf("no file: exit %d", code)
	}
}
