package schema

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	fx "github.com/nomad-driver-container/conformance/internal/specfixture"
	pb "github.com/nomad-driver-container/conformance/proto/hclspec"
)

func decodeJSON(t *testing.T, spec hcldec.Spec, src string) cty.Value {
	t.Helper()
	file, diags := hcljson.Parse([]byte(src), "test.json")
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", src, diags.Error())
	}
	value, diags := hcldec.Decode(file.Body, spec, &hcl.EvalContext{})
	if diags.HasErrors() {
		t.Fatalf("decode %s: %s", src, diags.Error())
	}
	return value
}

func TestConvertUsesObjectKeysAsImpliedNames(t *testing.T) {
	spec, err := Convert(fx.Object(map[string]*pb.Spec{
		"image":  fx.Attr("", "string", true),
		"labels": fx.BlockAttrs("", "string", false),
		"ports":  fx.BlockList("", 0, 0, fx.Object(map[string]*pb.Spec{"to": fx.Attr("", "number", false)})),
	}))
	if err != nil {
		t.Fatal(err)
	}

	obj := spec.(hcldec.ObjectSpec)
	if got := obj["image"].(*hcldec.AttrSpec).Name; got != "image" {
		t.Errorf("attr name = %q, want image", got)
	}
	if got := obj["labels"].(*hcldec.BlockAttrsSpec).TypeName; got != "labels" {
		t.Errorf("block_attrs name = %q, want labels", got)
	}
	if got := obj["ports"].(*hcldec.BlockListSpec).TypeName; got != "ports" {
		t.Errorf("block_list name = %q, want ports", got)
	}
}

func TestConvertPrefersExplicitNameOverObjectKey(t *testing.T) {
	spec, err := Convert(fx.Object(map[string]*pb.Spec{"key": fx.Attr("real_name", "string", false)}))
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.(hcldec.ObjectSpec)["key"].(*hcldec.AttrSpec).Name; got != "real_name" {
		t.Errorf("name = %q, want real_name", got)
	}
}

func TestConvertRejectsSpecWithNoKind(t *testing.T) {
	_, err := Convert(fx.Object(map[string]*pb.Spec{"mystery": {}}))
	var convErr *ConversionError
	if !errors.As(err, &convErr) || convErr.Path != "mystery" {
		t.Fatalf("err = %v, want a ConversionError at path mystery", err)
	}
}

// Nomad converts a Default's primary without the Object key, so an unnamed
// Attr under a Default has no name and the whole schema is refused.
func TestConvertDefaultPrimaryWithoutExplicitNameFails(t *testing.T) {
	_, err := Convert(fx.Object(map[string]*pb.Spec{
		"timeout": fx.Default(fx.Attr("", "string", false), fx.Literal(`"5m"`)),
	}))
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v, want a failure naming timeout", err)
	}
}

func TestConvertBlockMapWithoutLabelsFails(t *testing.T) {
	_, err := Convert(fx.Object(map[string]*pb.Spec{
		"auth": fx.BlockMap("", nil, fx.Object(map[string]*pb.Spec{"user": fx.Attr("", "string", false)})),
	}))
	if err == nil || !strings.Contains(err.Error(), "label") {
		t.Fatalf("err = %v, want a failure about labels", err)
	}
}

func TestConvertBlockWithoutNestedSpecFails(t *testing.T) {
	_, err := Convert(fx.Object(map[string]*pb.Spec{"gc": fx.Block("", false, nil)}))
	if err == nil || !strings.Contains(err.Error(), "gc") {
		t.Fatalf("err = %v, want a failure naming gc", err)
	}
}

func TestConvertNilSpecFails(t *testing.T) {
	if _, err := Convert(nil); err == nil {
		t.Fatal("converting a nil spec succeeded")
	}
}

func TestConvertedDefaultsFillAbsentKeys(t *testing.T) {
	spec, err := Convert(fx.PluginConfig())
	if err != nil {
		t.Fatal(err)
	}
	value := decodeJSON(t, spec, `{}`)

	if got := value.GetAttr("image_pull_timeout"); !got.RawEquals(cty.StringVal("5m")) {
		t.Errorf("image_pull_timeout = %#v, want \"5m\"", got)
	}
	gc := value.GetAttr("gc")
	if gc.IsNull() || !gc.GetAttr("container").RawEquals(cty.True) {
		t.Errorf("gc = %#v, want { container = true }", gc)
	}
	if got := value.GetAttr("extra_labels"); !got.IsNull() {
		t.Errorf("extra_labels = %#v, want null", got)
	}
}

func TestConvertedBlockKindsDecodeTheirInputShapes(t *testing.T) {
	spec, err := Convert(fx.Object(map[string]*pb.Spec{
		"pair": fx.Array(fx.Attr("first", "string", false), fx.Attr("second", "number", false)),
		"mount": fx.BlockList("", 1, 2, fx.Object(map[string]*pb.Spec{
			"target": fx.Attr("", "string", true),
		})),
		"tag": fx.BlockSet("", 0, 0, fx.Object(map[string]*pb.Spec{"name": fx.Attr("", "string", false)})),
		"auth": fx.BlockMap("", []string{"registry"}, fx.Object(map[string]*pb.Spec{
			"user": fx.Attr("", "string", false),
		})),
		"fixed": fx.Literal(`upper("abc")`),
	}))
	if err != nil {
		t.Fatal(err)
	}

	value := decodeJSON(t, spec, `{
		"first": "a", "second": 2,
		"mount": [{"target": "/a"}, {"target": "/b"}],
		"tag": [{"name": "x"}],
		"auth": {"docker.io": {"user": "ana"}}
	}`)

	if got := value.GetAttr("pair").Index(cty.NumberIntVal(1)); !got.RawEquals(cty.NumberIntVal(2)) {
		t.Errorf("pair[1] = %#v, want 2", got)
	}
	if got := value.GetAttr("mount").LengthInt(); got != 2 {
		t.Errorf("len(mount) = %d, want 2", got)
	}
	if got := value.GetAttr("tag").LengthInt(); got != 1 {
		t.Errorf("len(tag) = %d, want 1", got)
	}
	user := value.GetAttr("auth").Index(cty.StringVal("docker.io")).GetAttr("user")
	if !user.RawEquals(cty.StringVal("ana")) {
		t.Errorf("auth[docker.io].user = %#v, want ana", user)
	}
	if got := value.GetAttr("fixed"); !got.RawEquals(cty.StringVal("ABC")) {
		t.Errorf("fixed = %#v, want ABC", got)
	}
}
