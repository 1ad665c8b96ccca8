package config

import (
	"reflect"
	"strings"
	"time"
)

// key is one leaf setting: its dotted name ("token.ttl") and Go type.
type key struct {
	name string
	typ  reflect.Type
}

// keys lists every leaf setting of Config, in declaration order, from the mapstructure tags.
func keys() []key {
	var out []key
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			name := prefix + tag
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
				walk(f.Type, name+".")
				continue
			}
			out = append(out, key{name: name, typ: f.Type})
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}

// sections are the keys that hold maps of settings ("token", "tls", ...).
func sections(ks []key) map[string]bool {
	s := map[string]bool{}
	for _, k := range ks {
		parts := strings.Split(k.name, ".")
		for i := 1; i < len(parts); i++ {
			s[strings.Join(parts[:i], ".")] = true
		}
	}
	return s
}

// EnvName is the environment variable that sets a key: token.ttl -> REGAUTH_TOKEN_TTL.
func EnvName(key string) string {
	return "REGAUTH_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Keys returns every setting's dotted name, for help texts and docs.
func Keys() []string {
	var names []string
	for _, k := range keys() {
		names = append(names, k.name)
	}
	return names
}
