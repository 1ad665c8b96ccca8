package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/regauth/regauth/internal/suggest"
)

// PFXPasswordEnv carries the .pfx password; it has no file key on purpose.
const PFXPasswordEnv = "REGAUTH_TLS_PFX_PASSWORD"

// LoadOptions says where settings come from. Every field is optional.
type LoadOptions struct {
	File  string                 // YAML file; empty = defaults, environment and flags only
	Flags map[string]*pflag.Flag // setting name -> flag; only flags the user set take effect
}

// Load merges defaults, the file, REGAUTH_* variables and flags (later wins), checks the file
// strictly, fills derived defaults and validates. Every problem is reported at once.
func Load(opts LoadOptions) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	ks := keys()
	def := Default()
	defValues := flatten(reflect.ValueOf(def), ks)
	for _, k := range ks {
		v.SetDefault(k.name, defValues[k.name])
		if err := v.BindEnv(k.name, EnvName(k.name)); err != nil {
			return nil, fmt.Errorf("bind %s: %w", EnvName(k.name), err)
		}
	}
	if opts.File != "" {
		data, err := os.ReadFile(opts.File)
		if err != nil {
			return nil, fmt.Errorf("load config: %w", err)
		}
		if err := checkFile(data, opts.File, ks); err != nil {
			return nil, err
		}
		if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("load config %q: %w", opts.File, err)
		}
	}
	for name, f := range opts.Flags {
		if err := v.BindPFlag(name, f); err != nil {
			return nil, fmt.Errorf("bind flag for %s: %w", name, err)
		}
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg); err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	if pw := os.Getenv(PFXPasswordEnv); pw != "" {
		cfg.TLS.PFXPassword = Secret(pw)
	}
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TLS.PFXPassword == "" {
		if err := cfg.ReadPFXPassword(); err != nil {
			return nil, err
		}
	}
	return &cfg, nil
}

// ReadPFXPassword (re)reads tls.pfx_password_file, if set, into TLS.PFXPassword.
func (c *Config) ReadPFXPassword() error {
	if c.TLS.PFXPasswordFile == "" {
		return nil
	}
	pw, err := os.ReadFile(c.TLS.PFXPasswordFile)
	if err != nil {
		return fmt.Errorf("read tls.pfx_password_file: %w", err)
	}
	c.TLS.PFXPassword = Secret(strings.TrimRight(string(pw), "\r\n"))
	return nil
}

// flatten returns the default value of every key by name.
func flatten(v reflect.Value, ks []key) map[string]any {
	out := map[string]any{}
	for _, k := range ks {
		cur := v
		for _, part := range strings.Split(k.name, ".") {
			cur = fieldByTag(cur, part)
		}
		out[k.name] = cur.Interface()
	}
	return out
}

func fieldByTag(v reflect.Value, tag string) reflect.Value {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("mapstructure") == tag {
			return v.Field(i)
		}
	}
	panic("config: no field tagged " + tag) // unreachable: names come from the same struct
}

// LineError is a problem at one line of the configuration file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// checkFile walks the YAML and reports unknown keys and values of the wrong type with their
// line, since viper alone would report neither the line nor every problem.
func checkFile(data []byte, file string, ks []key) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("load config %q: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file is all defaults
	}
	types := map[string]reflect.Type{}
	for _, k := range ks {
		types[k.name] = k.typ
	}
	secs := sections(ks)
	var errs []error
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			what := "the file"
			if prefix != "" {
				what = strings.TrimSuffix(prefix, ".")
			}
			errs = append(errs, &LineError{file, n.Line, fmt.Sprintf("%s must be a map of settings", what)})
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			name := prefix + kn.Value
			switch {
			case secs[name]:
				walk(vn, name+".")
			case types[name] != nil:
				if msg := checkValue(vn, types[name]); msg != "" {
					errs = append(errs, &LineError{file, vn.Line, fmt.Sprintf("%s: %s", name, msg)})
				}
			case name == "tls.pfx_password":
				errs = append(errs, &LineError{file, kn.Line, fmt.Sprintf("tls.pfx_password is not read from files: use tls.pfx_password_file or %s", PFXPasswordEnv)})
			default:
				errs = append(errs, &LineError{file, kn.Line, fmt.Sprintf("unknown key %q%s", name, hint(name, types))})
			}
		}
	}
	walk(doc.Content[0], "")
	if len(errs) > 0 {
		return fmt.Errorf("load config %q: %w", file, errors.Join(errs...))
	}
	return nil
}

func checkValue(n *yaml.Node, t reflect.Type) string {
	if n.Kind != yaml.ScalarNode {
		return "want a single value"
	}
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		if _, err := time.ParseDuration(n.Value); err != nil {
			return fmt.Sprintf("%q is not a duration (like 5m or 720h)", n.Value)
		}
	case t.Kind() == reflect.Int:
		if _, err := strconv.Atoi(n.Value); err != nil {
			return fmt.Sprintf("%q is not a whole number", n.Value)
		}
	case t.Kind() == reflect.Bool:
		if _, err := strconv.ParseBool(n.Value); err != nil {
			return fmt.Sprintf("%q is not true or false", n.Value)
		}
	}
	return ""
}

// hint names the known key closest to a misspelt one.
func hint(name string, types map[string]reflect.Type) string {
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a deterministic choice between equally close keys
	best, ok := suggest.Closest(name, keys)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
