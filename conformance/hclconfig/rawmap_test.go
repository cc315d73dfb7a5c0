package hclconfig

import (
	"reflect"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func rawMapOf(t *testing.T, src string) map[string]any {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags.Error())
	}
	raw, err := RawMap(file.Body.(*hclsyntax.Body), []byte(src))
	if err != nil {
		t.Fatalf("RawMap: %v", err)
	}
	return raw
}

func TestRawMapTurnsBlocksAndObjectAttributesIntoListsOfMaps(t *testing.T) {
	asBlock := rawMapOf(t, `labels { a = "1" }`)
	asAttribute := rawMapOf(t, `labels = { a = "1" }`)

	want := []map[string]any{{"a": "1"}}
	if !reflect.DeepEqual(asBlock["labels"], want) {
		t.Errorf("block form = %#v, want %#v", asBlock["labels"], want)
	}
	if !reflect.DeepEqual(asAttribute["labels"], want) {
		t.Errorf("attribute form = %#v, want %#v", asAttribute["labels"], want)
	}
}

func TestRawMapListsRepeatedBlocksInOrder(t *testing.T) {
	raw := rawMapOf(t, `
mount { target = "/a" }
mount { target = "/b" }
`)
	want := []map[string]any{{"target": "/a"}, {"target": "/b"}}
	if !reflect.DeepEqual(raw["mount"], want) {
		t.Errorf("mount = %#v, want %#v", raw["mount"], want)
	}
}

func TestRawMapNestsLabelledBlocksUnderTheirLabels(t *testing.T) {
	raw := rawMapOf(t, `auth "docker.io" { user = "ana" }`)
	want := []map[string]any{{"docker.io": []map[string]any{{"user": "ana"}}}}
	if !reflect.DeepEqual(raw["auth"], want) {
		t.Errorf("auth = %#v, want %#v", raw["auth"], want)
	}
}

func TestRawMapKeepsPlainValues(t *testing.T) {
	raw := rawMapOf(t, `
image   = "alpine:3.20"
args    = ["-c", "true"]
count   = 3
ratio   = 0.5
enabled = true
`)
	want := map[string]any{
		"image": "alpine:3.20", "args": []any{"-c", "true"},
		"count": int64(3), "ratio": 0.5, "enabled": true,
	}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("raw = %#v, want %#v", raw, want)
	}
}

func TestRawMapLeavesVariableReferencesForTheClient(t *testing.T) {
	raw := rawMapOf(t, `
dir   = "${NOMAD_TASK_DIR}/data"
bare  = NOMAD_ALLOC_ID
host  = "${node.unique.name}"
mixed = ["x", "${env.HOME}"]
`)
	want := map[string]any{
		"dir":   "${NOMAD_TASK_DIR}/data",
		"bare":  "${NOMAD_ALLOC_ID}",
		"host":  "${node.unique.name}",
		"mixed": []any{"x", "${env.HOME}"},
	}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("raw = %#v, want %#v", raw, want)
	}
}

func TestRawMapRefusesAttributeAndBlockOfTheSameName(t *testing.T) {
	src := "env = { A = \"1\" }\nenv { B = \"2\" }\n"
	file, _ := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if _, err := RawMap(file.Body.(*hclsyntax.Body), []byte(src)); err == nil {
		t.Fatal("RawMap accepted env as both attribute and block")
	}
}
