package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlName returns the YAML key of a struct field, or "" for fields YAML ignores.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// fieldByKey returns the field of struct type t whose YAML key is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func keysOf(t reflect.Type) []string {
	var ks []string
	for i := range t.NumField() {
		if k := yamlName(t.Field(i)); k != "" {
			ks = append(ks, k)
		}
	}
	return ks
}

// Keys returns the dotted path of every key Config accepts, parents before children; keys
// inside list items are written "parent[].child" (e.g. "webrtc.ice_servers[].urls").
func Keys() []string {
	var out []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			k := yamlName(f)
			if k == "" {
				continue
			}
			p := prefix + k
			out = append(out, p)
			switch ft := f.Type; {
			case ft.Kind() == reflect.Struct:
				walk(p+".", ft)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(p+"[].", ft.Elem())
			}
		}
	}
	walk("", reflect.TypeFor[Config]())
	return out
}

// checkNodes reports, all at once, every mapping key in the document that has no field in
// c's type, and every fractional number given for an integer key (which yaml.v3 would
// silently truncate).
func checkNodes(doc *yaml.Node, c *Config) error {
	var errs []error
	var walk func(n *yaml.Node, t reflect.Type, path string)
	walk = func(n *yaml.Node, t reflect.Type, path string) {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch {
		case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "<<" { // merge key: yaml.v3 checks the merged fields itself
					continue
				}
				f, ok := fieldByKey(t, k.Value)
				if !ok {
					errs = append(errs, fmt.Errorf("line %d: unknown key %q (known keys here: %s)",
						k.Line, path+k.Value, strings.Join(keysOf(t), ", ")))
					continue
				}
				walk(v, f.Type, path+k.Value+".")
			}
		case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
			p := strings.TrimSuffix(path, ".")
			for i, item := range n.Content {
				walk(item, t.Elem(), fmt.Sprintf("%s[%d].", p, i))
			}
		case n.Kind == yaml.ScalarNode && isInteger(t) && n.ShortTag() == "!!float":
			errs = append(errs, fmt.Errorf("line %d: key %q: want a whole number, got %s",
				n.Line, strings.TrimSuffix(path, "."), n.Value))
		}
		// Anything else (wrong kinds, other scalars) is left to the decoder's type errors.
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		walk(doc.Content[0], reflect.TypeOf(c).Elem(), "")
	}
	return errors.Join(errs...)
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return t != reflect.TypeFor[Duration]()
	}
	return false
}
