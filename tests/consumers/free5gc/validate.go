// Package main validates secprov's free5gc.yaml renderings with free5GC's own config
// factories: each fragment is merged into the NF's stock sample (base/) the way a user
// deploys it, and the merged file is read and validated by the NF's pkg/factory, exactly
// as the NF does at start-up (InitConfigFactory, then Config.Validate).
//
// The merge: the fragment's mappings are merged key by key into the sample's, recursively;
// any other value in the fragment (a scalar or a list) replaces the sample's. Keys only in
// the sample stay. So configuration.sbi.scheme/cert/rootcert/tls/oauth and
// configuration.nrfUri come from secprov; addresses, ports, PLMNs and the rest stay the
// operator's own.
package main

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	amf "github.com/free5gc/amf/pkg/factory"
	nrf "github.com/free5gc/nrf/pkg/factory"
	"gopkg.in/yaml.v3"
)

//go:embed base/*.yaml
var bases embed.FS

// validator reads and validates a complete config file with one NF's factory.
type validator struct {
	base     string // stock sample in base/
	module   string // the factory's module and version, for the report
	validate func(path string) error
}

var validators = map[string]validator{
	"nrf": {"base/nrfcfg.yaml", "github.com/free5gc/nrf@v1.4.3", func(path string) error {
		cfg := &nrf.Config{}
		if err := nrf.InitConfigFactory(path, cfg); err != nil {
			return err
		}
		_, err := cfg.Validate()
		return err
	}},
	"amf": {"base/amfcfg.yaml", "github.com/free5gc/amf@v1.4.5", func(path string) error {
		cfg := &amf.Config{}
		if err := amf.InitConfigFactory(path, cfg); err != nil {
			return err
		}
		_, err := cfg.Validate()
		return err
	}},
}

// nfTypeOf takes the NF type from the file name: "<nf>.yaml" or "<nf>_<name>.yaml" (a
// Kubernetes name has no "_"; an NF type may: SOR_AF).
func nfTypeOf(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if i := strings.LastIndexByte(name, '_'); i >= 0 {
		name = name[:i]
	}
	return strings.ToLower(name)
}

// mergeInto merges the mapping node src into dst (see the package comment).
func mergeInto(dst, src *yaml.Node) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		key, value := src.Content[i], src.Content[i+1]
		found := false
		for j := 0; j+1 < len(dst.Content); j += 2 {
			if dst.Content[j].Value != key.Value {
				continue
			}
			found = true
			if dst.Content[j+1].Kind == yaml.MappingNode && value.Kind == yaml.MappingNode {
				mergeInto(dst.Content[j+1], value)
			} else {
				dst.Content[j+1] = value
			}
			break
		}
		if !found {
			dst.Content = append(dst.Content, key, value)
		}
	}
}

func mapping(text []byte, what string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a YAML mapping", what)
	}
	return doc.Content[0], nil
}

// Merge returns the stock sample of nfType with fragment merged into it.
func Merge(nfType string, fragment []byte) ([]byte, error) {
	v, ok := validators[nfType]
	if !ok {
		return nil, fmt.Errorf("no free5GC factory here for NF type %q", nfType)
	}
	baseText, err := bases.ReadFile(v.base)
	if err != nil {
		return nil, err
	}
	base, err := mapping(baseText, v.base)
	if err != nil {
		return nil, err
	}
	frag, err := mapping(fragment, "fragment")
	if err != nil {
		return nil, err
	}
	mergeInto(base, frag)
	return yaml.Marshal(base)
}

// Validate merges fragment into nfType's sample and runs that NF's factory on the result.
func Validate(nfType string, fragment []byte, workDir string) error {
	merged, err := Merge(nfType, fragment)
	if err != nil {
		return err
	}
	path := filepath.Join(workDir, nfType+"cfg.yaml")
	if err := os.WriteFile(path, merged, 0o600); err != nil {
		return err
	}
	return validators[nfType].validate(path)
}

// files expands directories into their *.yaml files.
func files(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, arg)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(arg, "*.yaml"))
		if err != nil {
			return nil, err
		}
		out = append(out, matches...)
	}
	if len(out) == 0 {
		return nil, errors.New("no *.yaml file given")
	}
	return out, nil
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: free5gc-validate FILE|DIR... (each file <nf>[_<name>].yaml, "+
			"a secprov free5gc.yaml; nf: nrf, amf)")
		return 2
	}
	paths, err := files(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "free5gc-validate:", err)
		return 2
	}
	workDir, err := os.MkdirTemp("", "free5gc-validate")
	if err != nil {
		fmt.Fprintln(os.Stderr, "free5gc-validate:", err)
		return 2
	}
	defer os.RemoveAll(workDir)
	failed := 0
	for _, path := range paths {
		nfType := nfTypeOf(path)
		fragment, err := os.ReadFile(path)
		if err == nil {
			err = Validate(nfType, fragment, workDir)
		}
		if err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", path, err)
			continue
		}
		fmt.Printf("OK %s: accepted by %s pkg/factory\n", path, validators[nfType].module)
	}
	fmt.Printf("free5gc-validate: %d accepted, %d rejected\n", len(paths)-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func main() { os.Exit(run(os.Args[1:])) }
