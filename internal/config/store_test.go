package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreConfig(t *testing.T) {
	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "dsn")
	if err := os.WriteFile(dsnFile, []byte("  postgres://ib:s3cretpass@db:5432/ib\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(yaml string) string {
		f := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	const pgURL = "postgres://ib:s3cretpass@db:5432/ib"
	tests := []struct {
		name, yaml string
		env        map[string]string
		wantDSN    string // when no error
		wantErr    string
	}{
		{"default sqlite", "", nil, "", ""},
		{"postgres dsn", "store: {driver: postgres, dsn: \"" + pgURL + "\"}", nil, pgURL, ""},
		{"postgres key=value", "store: {driver: postgres, dsn: \"host=db user=ib password=s3cretpass dbname=ib\"}", nil,
			"host=db user=ib password=s3cretpass dbname=ib", ""},
		{"postgres dsn_file", "store: {driver: postgres, dsn_file: " + dsnFile + "}", nil, pgURL, ""},
		{"env dsn", "store: {driver: postgres}", map[string]string{EnvStoreDSN: pgURL}, pgURL, ""},
		{"env dsn file over yaml dsn", "store: {driver: postgres, dsn: \"postgres://other\"}",
			map[string]string{EnvStoreDSNFile: dsnFile}, pgURL, ""},
		{"env both", "store: {driver: postgres}", map[string]string{EnvStoreDSN: pgURL, EnvStoreDSNFile: dsnFile}, "", "not both"},
		{"yaml both", "store: {driver: postgres, dsn: \"" + pgURL + "\", dsn_file: " + dsnFile + "}", nil, "", "not both"},
		{"empty dsn file", "store: {driver: postgres, dsn_file: " + empty + "}", nil, "", "is empty"},
		{"missing dsn file", "store: {driver: postgres, dsn_file: /nonexistent/dsn}", nil, "", "no such file"},
		{"env empty dsn file", "store: {driver: postgres}", map[string]string{EnvStoreDSNFile: empty}, "", "env " + EnvStoreDSNFile + ": file " + empty + " is empty"},
		{"env missing dsn file", "store: {driver: postgres}", map[string]string{EnvStoreDSNFile: "/nonexistent/dsn"}, "", "env " + EnvStoreDSNFile + ": open /nonexistent/dsn"},
		{"postgres without dsn", "store: {driver: postgres}", nil, "", "store.dsn: driver postgres needs a DSN"},
		{"dsn not a dsn", "store: {driver: postgres, dsn: s3cretpass}", nil, "", "store.dsn: want a postgres:// URL"},
		{"sqlite with dsn", "store: {dsn: \"" + pgURL + "\"}", nil, "", "store.dsn: is for driver postgres"},
		{"unknown driver", "store: {driver: mysql}", nil, "", `store.driver: must be sqlite or postgres, got "mysql"`},
		{"unknown key", "store: {driver: postgres, url: x}", nil, "", "store.url"},
		{"node id", "server: {node_id: \"web-1\"}", nil, "", ""},
		{"node id with space", "server: {node_id: \"web 1\"}", nil, "", "server.node_id"},
		{"node url", "store: {driver: postgres, dsn: \"" + pgURL + "\"}\nserver: {node_url: \"http://10.0.0.7:8080/\"}", nil, pgURL, ""},
		{"node url from env", "store: {driver: postgres, dsn: \"" + pgURL + "\"}", map[string]string{EnvNodeURL: "https://node-2.internal"}, pgURL, ""},
		{"node url not http", "store: {driver: postgres, dsn: \"" + pgURL + "\"}\nserver: {node_url: \"ftp://x\"}", nil, "", "server.node_url: want an http"},
		{"node url no host", "store: {driver: postgres, dsn: \"" + pgURL + "\"}\nserver: {node_url: \"http://\"}", nil, "", "server.node_url: has no host"},
		{"node url with query", "store: {driver: postgres, dsn: \"" + pgURL + "\"}\nserver: {node_url: \"http://x/?a=1\"}", nil, "", "server.node_url: must be a base URL"},
		{"node url with sqlite", "server: {node_url: \"http://10.0.0.7:8080\"}", nil, "", "server.node_url: is for driver postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadEnv(write(tt.yaml), envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cretpass") {
					t.Fatalf("error shows the DSN's password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Store.DSN.Value(); got != tt.wantDSN {
				t.Fatalf("DSN = %q, want %q", got, tt.wantDSN)
			}
			if s := fmt.Sprintf("%v %+v", c, c.Store); strings.Contains(s, "s3cretpass") {
				t.Fatalf("printing the config shows the DSN: %s", s)
			}
		})
	}
}
