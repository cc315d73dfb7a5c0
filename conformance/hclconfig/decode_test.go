package hclconfig

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/msgpack"

	fx "github.com/nomad-driver-container/conformance/internal/specfixture"
	"github.com/nomad-driver-container/conformance/schema"
)

func documentedTaskSpec(t *testing.T) hcldec.Spec {
	t.Helper()
	spec, err := schema.Convert(fx.TaskConfig())
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestDecodeAcceptsBothFormsOfLabelsAndEnv(t *testing.T) {
	spec := documentedTaskSpec(t)
	blocks := rawMapOf(t, `
image = "alpine:3.20"
labels { role = "web" }
env { A = "b" }
`)
	attributes := rawMapOf(t, `
image  = "alpine:3.20"
labels = { role = "web" }
env    = { A = "b" }
`)

	fromBlocks, err := Decode(blocks, spec, nil)
	if err != nil {
		t.Fatalf("block forms: %v", err)
	}
	fromAttributes, err := Decode(attributes, spec, nil)
	if err != nil {
		t.Fatalf("attribute forms: %v", err)
	}
	if !fromBlocks.RawEquals(fromAttributes) {
		t.Errorf("forms decode differently:\n%#v\n%#v", fromBlocks, fromAttributes)
	}
	if got := fromBlocks.GetAttr("labels").Index(cty.StringVal("role")); !got.RawEquals(cty.StringVal("web")) {
		t.Errorf("labels.role = %#v, want web", got)
	}
}

func TestDecodeNamesAnUnknownKeyAsInvalidLabel(t *testing.T) {
	_, err := Decode(rawMapOf(t, `
image  = "alpine:3.20"
imagee = "typo"
`), documentedTaskSpec(t), nil)
	assertDecodeError(t, err, "Invalid label", `"imagee"`)
}

func TestDecodeNamesAMissingRequiredKey(t *testing.T) {
	_, err := Decode(rawMapOf(t, `command = "/bin/sh"`), documentedTaskSpec(t), nil)
	assertDecodeError(t, err, "Missing required argument", `"image"`)
}

func TestDecodeNamesAKeyOfTheWrongType(t *testing.T) {
	_, err := Decode(rawMapOf(t, `
image = "alpine:3.20"
args  = { a = "b" }
`), documentedTaskSpec(t), nil)
	assertDecodeError(t, err, "Incorrect attribute value type", `"args"`)
}

func TestDecodeInterpolatesWithTheTaskVariables(t *testing.T) {
	raw := rawMapOf(t, `
image   = "alpine:3.20"
command = "${NOMAD_TASK_DIR}/run.sh"
`)
	vars := map[string]cty.Value{"NOMAD_TASK_DIR": cty.StringVal("/local")}
	value, err := Decode(raw, documentedTaskSpec(t), vars)
	if err != nil {
		t.Fatal(err)
	}
	if got := value.GetAttr("command"); !got.RawEquals(cty.StringVal("/local/run.sh")) {
		t.Errorf("command = %#v, want /local/run.sh", got)
	}
}

func TestDecodeTreatsAnAbsentPluginConfigAsEmpty(t *testing.T) {
	spec, err := schema.Convert(fx.PluginConfig())
	if err != nil {
		t.Fatal(err)
	}
	value, err := Decode(nil, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := value.GetAttr("image_pull_timeout"); !got.RawEquals(cty.StringVal("5m")) {
		t.Errorf("image_pull_timeout = %#v, want the default 5m", got)
	}
}

func TestEncodeRoundTripsWithTheValuesOwnType(t *testing.T) {
	value, err := Decode(rawMapOf(t, `image = "alpine:3.20"`), documentedTaskSpec(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encode(value)
	if err != nil {
		t.Fatal(err)
	}

	back, err := msgpack.Unmarshal(data, value.Type())
	if err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !back.RawEquals(value) {
		t.Errorf("round trip = %#v, want %#v", back, value)
	}
	if !back.GetAttr("args").IsNull() {
		t.Errorf("absent args = %#v, want null", back.GetAttr("args"))
	}
}

func assertDecodeError(t *testing.T, err error, summary, key string) {
	t.Helper()
	var decodeErr *DecodeError
	if !errors.As(err, &decodeErr) {
		t.Fatalf("err = %v, want a DecodeError", err)
	}
	if !strings.Contains(err.Error(), summary) || !strings.Contains(err.Error(), key) {
		t.Errorf("err = %q, want it to contain %q and %s", err, summary, key)
	}
}
