package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestExampleConfigs loads every file in configs/; each must be valid.
func TestExampleConfigs(t *testing.T) {
	paths, err := filepath.Glob("../configs/*.toml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example configs found: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := Load(path); err != nil {
				t.Errorf("Load(%q):\n%v", path, err)
			}
		})
	}
}

// TestReferenceDefaults checks that the reference file writes the
// defaults: applying them to it changes nothing in the core tables.
func TestReferenceDefaults(t *testing.T) {
	data, err := os.ReadFile("../configs/portico.toml")
	if err != nil {
		t.Fatal(err)
	}
	var raw, withDefaults File
	if _, err := toml.Decode(string(data), &raw); err != nil {
		t.Fatal(err)
	}
	if _, err := toml.Decode(string(data), &withDefaults); err != nil {
		t.Fatal(err)
	}
	withDefaults.SetDefaults()
	parts := []struct {
		name      string
		got, want any
	}{
		{"server", raw.Server, withDefaults.Server},
		{"access_log", raw.AccessLog, withDefaults.AccessLog},
		{"admin", raw.Admin, withDefaults.Admin},
		{"upstreams", raw.Upstreams, withDefaults.Upstreams},
		{"routes", raw.Routes, withDefaults.Routes},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) {
			if !reflect.DeepEqual(p.got, p.want) {
				t.Errorf("[%s] as written = %+v\nwith defaults = %+v", p.name, p.got, p.want)
			}
		})
	}
}

// TestReferenceCoversEveryKey checks that configs/portico.toml shows
// every key of every table, set or commented out.
func TestReferenceCoversEveryKey(t *testing.T) {
	data, err := os.ReadFile("../configs/portico.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, k := range allKeys(reflect.TypeFor[File](), "") {
		t.Run(k.path, func(t *testing.T) {
			last := k.path[strings.LastIndexByte(k.path, '.')+1:]
			pat := `(?m)(^|[{,\s#])` + regexp.QuoteMeta(last) + `\s*=`
			if k.table {
				path := strings.ReplaceAll(regexp.QuoteMeta(k.path), `\*`, `[a-z0-9_-]+`)
				pat = `\[` + path + `[\].]|` + regexp.QuoteMeta(last) + `\s*=\s*[{\[]`
			}
			if !regexp.MustCompile(pat).MatchString(text) {
				t.Errorf("configs/portico.toml does not show %s", k.path)
			}
		})
	}
}

// tomlKey is one key path of the schema; table reports whether its value
// is a table (or map of tables, or array of tables).
type tomlKey struct {
	path  string
	table bool
}

// allKeys lists the TOML key paths of struct type t, with "*" for map
// keys, e.g. "upstreams.*.health_check.path".
func allKeys(t reflect.Type, prefix string) []tomlKey {
	var keys []tomlKey
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		ft := sf.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		sub := key
		if ft.Kind() == reflect.Map {
			sub += ".*"
			ft = ft.Elem()
		}
		table := ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath()
		keys = append(keys, tomlKey{key, table})
		if table {
			keys = append(keys, allKeys(ft, sub)...)
		}
	}
	return keys
}
