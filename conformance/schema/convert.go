package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"

	pb "github.com/nomad-driver-container/conformance/proto/hclspec"
)

// ConversionError names the spec node that could not be converted, as a
// dotted path of Object keys from the root ("<root>" for the root itself).
type ConversionError struct {
	Path   string
	Reason string
}

func (e *ConversionError) Error() string {
	return fmt.Sprintf("spec %s: %s", e.Path, e.Reason)
}

// Convert builds the hcldec.Spec that Nomad would decode a config against.
func Convert(spec *pb.Spec) (hcldec.Spec, error) {
	if spec == nil {
		return nil, &ConversionError{Path: "<root>", Reason: "no spec given"}
	}
	return convertNode(spec, "", nil)
}

// convertNode converts one node. impliedName is the Object key the node sits
// under, used when the node carries no explicit name.
func convertNode(spec *pb.Spec, impliedName string, path []string) (hcldec.Spec, error) {
	switch node := spec.GetBlock().(type) {
	case *pb.Spec_Object:
		return convertObject(node.Object, path)
	case *pb.Spec_Array:
		return convertArray(node.Array, path)
	case *pb.Spec_Attr:
		return convertAttr(node.Attr, impliedName, path)
	case *pb.Spec_BlockValue:
		return convertBlock(node.BlockValue, impliedName, path)
	case *pb.Spec_BlockAttrs:
		return convertBlockAttrs(node.BlockAttrs, impliedName, path)
	case *pb.Spec_BlockList:
		return convertBlockList(node.BlockList, impliedName, path)
	case *pb.Spec_BlockSet:
		return convertBlockSet(node.BlockSet, impliedName, path)
	case *pb.Spec_BlockMap:
		return convertBlockMap(node.BlockMap, impliedName, path)
	case *pb.Spec_Default:
		return convertDefault(node.Default, path)
	case *pb.Spec_Literal:
		return convertLiteral(node.Literal, path)
	default:
		return nil, failAt(path, "unknown or empty spec kind %T", node)
	}
}

func convertObject(obj *pb.Object, path []string) (hcldec.Spec, error) {
	keys := make([]string, 0, len(obj.GetAttributes()))
	for key := range obj.GetAttributes() {
		keys = append(keys, key)
	}
	sort.Strings(keys)

	out := make(hcldec.ObjectSpec, len(keys))
	for _, key := range keys {
		child, err := convertNode(obj.GetAttributes()[key], key, append(path, key))
		if err != nil {
			return nil, err
		}
		out[key] = child
	}
	return out, nil
}

func convertArray(arr *pb.Array, path []string) (hcldec.Spec, error) {
	out := make(hcldec.TupleSpec, 0, len(arr.GetValues()))
	for i, value := range arr.GetValues() {
		child, err := convertNode(value, "", append(path, fmt.Sprintf("[%d]", i)))
		if err != nil {
			return nil, err
		}
		out = append(out, child)
	}
	return out, nil
}

func convertAttr(attr *pb.Attr, impliedName string, path []string) (hcldec.Spec, error) {
	name, err := effectiveName(attr.GetName(), impliedName, "attr", path)
	if err != nil {
		return nil, err
	}
	ty, err := ParseType(attr.GetType())
	if err != nil {
		return nil, failAt(path, "attr type: %v", err)
	}
	return &hcldec.AttrSpec{Name: name, Type: ty, Required: attr.GetRequired()}, nil
}

func convertBlock(block *pb.Block, impliedName string, path []string) (hcldec.Spec, error) {
	name, err := effectiveName(block.GetName(), impliedName, "block", path)
	if err != nil {
		return nil, err
	}
	nested, err := convertNested(block.GetNested(), path)
	if err != nil {
		return nil, err
	}
	return &hcldec.BlockSpec{TypeName: name, Nested: nested, Required: block.GetRequired()}, nil
}

func convertBlockAttrs(block *pb.BlockAttrs, impliedName string, path []string) (hcldec.Spec, error) {
	name, err := effectiveName(block.GetName(), impliedName, "block_attrs", path)
	if err != nil {
		return nil, err
	}
	ty, err := ParseType(block.GetType())
	if err != nil {
		return nil, failAt(path, "block_attrs type: %v", err)
	}
	return &hcldec.BlockAttrsSpec{TypeName: name, ElementType: ty, Required: block.GetRequired()}, nil
}

func convertBlockList(block *pb.BlockList, impliedName string, path []string) (hcldec.Spec, error) {
	name, err := effectiveName(block.GetName(), impliedName, "block_list", path)
	if err != nil {
		return nil, err
	}
	nested, err := convertNested(block.GetNested(), path)
	if err != nil {
		return nil, err
	}
	return &hcldec.BlockListSpec{
		TypeName: name,
		Nested:   nested,
		MinItems: int(block.GetMinItems()),
		MaxItems: int(block.GetMaxItems()),
	}, nil
}

func convertBlockSet(block *pb.BlockSet, impliedName string, path []string) (hcldec.Spec, error) {
	name, err := effectiveName(block.GetName(), impliedName, "block_set", path)
	if err != nil {
		return nil, err
	}
	nested, err := convertNested(block.GetNested(), path)
	if err != nil {
		return nil, err
	}
	return &hcldec.BlockSetSpec{
		TypeName: name,
		Nested:   nested,
		MinItems: int(block.GetMinItems()),
		MaxItems: int(block.GetMaxItems()),
	}, nil
}

func convertBlockMap(block *pb.BlockMap, impliedName string, path []string) (hcldec.Spec, error) {
	name, err := effectiveName(block.GetName(), impliedName, "block_map", path)
	if err != nil {
		return nil, err
	}
	if len(block.GetLabels()) == 0 {
		return nil, failAt(path, "block_map %q declares no labels; at least one is required", name)
	}
	nested, err := convertNested(block.GetNested(), path)
	if err != nil {
		return nil, err
	}
	return &hcldec.BlockMapSpec{TypeName: name, LabelNames: block.GetLabels(), Nested: nested}, nil
}

func convertDefault(def *pb.Default, path []string) (hcldec.Spec, error) {
	if def.GetPrimary() == nil || def.GetDefault() == nil {
		return nil, failAt(path, "default needs both a primary and a default spec")
	}
	primary, err := convertNode(def.GetPrimary(), "", path)
	if err != nil {
		return nil, err
	}
	fallback, err := convertNode(def.GetDefault(), "", path)
	if err != nil {
		return nil, err
	}
	return &hcldec.DefaultSpec{Primary: primary, Default: fallback}, nil
}

func convertLiteral(lit *pb.Literal, path []string) (hcldec.Spec, error) {
	value, err := EvalLiteral(lit.GetValue())
	if err != nil {
		return nil, failAt(path, "literal %q: %v", lit.GetValue(), err)
	}
	return &hcldec.LiteralSpec{Value: value}, nil
}

// convertNested converts the body spec of a block kind. Nested specs carry
// no implied name of their own: only an Object inside them gives names.
func convertNested(nested *pb.Spec, path []string) (hcldec.Spec, error) {
	if nested == nil {
		return nil, failAt(path, "block spec has no nested spec")
	}
	return convertNode(nested, "", path)
}

func effectiveName(explicit, implied, kind string, path []string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if implied != "" {
		return implied, nil
	}
	return "", failAt(path, "%s has no name and is not directly under an object key", kind)
}

func failAt(path []string, format string, args ...any) error {
	where := "<root>"
	if len(path) > 0 {
		where = strings.Join(path, ".")
	}
	return &ConversionError{Path: where, Reason: fmt.Sprintf(format, args...)}
}
