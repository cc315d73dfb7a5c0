package hclconfig

import (
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// RawMap turns a config body into the plain map Nomad's parsers hand on:
// attributes keep their evaluated values, except that an attribute written
// as an object (`labels = { a = "b" }`) becomes a one-element list of maps,
// and every group of same-named blocks becomes a list of maps. Variable
// references are not resolved here; they stay as "${...}" text for the
// client to interpolate at task start, as Nomad's job parser leaves them.
func RawMap(body *hclsyntax.Body, src []byte) (map[string]any, error) {
	out := make(map[string]any, len(body.Attributes)+len(body.Blocks))

	for name, attr := range body.Attributes {
		value, err := attributeValue(attr.Expr, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = value
	}

	for _, group := range groupBlocks(body.Blocks) {
		name := group[0].Type
		if _, taken := out[name]; taken {
			return nil, fmt.Errorf("%s: defined both as an attribute and as a block", name)
		}
		list, err := blockList(group, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = list
	}
	return out, nil
}

func attributeValue(expr hclsyntax.Expression, src []byte) (any, error) {
	value, err := evaluateDeferred(expr, src)
	if err != nil {
		return nil, err
	}
	if _, isObject := expr.(*hclsyntax.ObjectConsExpr); isObject {
		if m, ok := value.(map[string]any); ok {
			return []map[string]any{m}, nil
		}
	}
	return value, nil
}

// blockList converts same-named blocks to a list of maps. A labelled block
// nests its body under one map key per label, outermost label first.
func blockList(blocks []*hclsyntax.Block, src []byte) ([]map[string]any, error) {
	list := make([]map[string]any, 0, len(blocks))
	for _, block := range blocks {
		body, err := RawMap(block.Body, src)
		if err != nil {
			return nil, err
		}
		item := body
		for i := len(block.Labels) - 1; i >= 0; i-- {
			item = map[string]any{block.Labels[i]: []map[string]any{item}}
		}
		list = append(list, item)
	}
	return list, nil
}

// groupBlocks groups blocks by type, in order of first appearance.
func groupBlocks(blocks hclsyntax.Blocks) [][]*hclsyntax.Block {
	index := map[string]int{}
	var groups [][]*hclsyntax.Block
	for _, block := range blocks {
		i, seen := index[block.Type]
		if !seen {
			i = len(groups)
			index[block.Type] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], block)
	}
	return groups
}

// evaluateDeferred evaluates an expression whose variable references are
// replaced by their own "${...}" text.
func evaluateDeferred(expr hclsyntax.Expression, src []byte) (any, error) {
	ctx := &hcl.EvalContext{Variables: deferredVariables(expr.Variables(), src)}
	value, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s", diags.Error())
	}
	return goValue(value)
}

// deferredVariables builds, for every traversal, a tree of objects whose
// leaf is the traversal's source text wrapped in "${...}".
func deferredVariables(traversals []hcl.Traversal, src []byte) map[string]cty.Value {
	tree := map[string]any{}
	for _, traversal := range traversals {
		rng := traversal.SourceRange()
		if rng.End.Byte > len(src) {
			continue
		}
		text := "${" + string(src[rng.Start.Byte:rng.End.Byte]) + "}"
		insertTraversal(tree, traversal, text)
	}

	vars := make(map[string]cty.Value, len(tree))
	for name, node := range tree {
		vars[name] = treeValue(node)
	}
	return vars
}

func insertTraversal(tree map[string]any, traversal hcl.Traversal, leaf string) {
	steps := []string{traversal.RootName()}
	for _, step := range traversal[1:] {
		switch s := step.(type) {
		case hcl.TraverseAttr:
			steps = append(steps, s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type() != cty.String {
				return
			}
			steps = append(steps, s.Key.AsString())
		default:
			return
		}
	}

	node := tree
	for _, step := range steps[:len(steps)-1] {
		child, ok := node[step].(map[string]any)
		if !ok {
			child = map[string]any{}
			node[step] = child
		}
		node = child
	}
	if _, isTree := node[steps[len(steps)-1]].(map[string]any); !isTree {
		node[steps[len(steps)-1]] = leaf
	}
}

func treeValue(node any) cty.Value {
	branch, ok := node.(map[string]any)
	if !ok {
		return cty.StringVal(node.(string))
	}
	attrs := make(map[string]cty.Value, len(branch))
	for key, child := range branch {
		attrs[key] = treeValue(child)
	}
	return cty.ObjectVal(attrs)
}

// goValue converts an evaluated value to plain Go values: numbers become
// int64 when exact and float64 otherwise, and a collection whose elements
// are all maps becomes []map[string]any.
func goValue(value cty.Value) (any, error) {
	if value.IsNull() {
		return nil, nil
	}
	if !value.IsWhollyKnown() {
		return nil, fmt.Errorf("value is not known at parse time")
	}

	ty := value.Type()
	switch {
	case ty == cty.String:
		return value.AsString(), nil
	case ty == cty.Bool:
		return value.True(), nil
	case ty == cty.Number:
		return goNumber(value.AsBigFloat()), nil
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		return goList(value)
	case ty.IsMapType() || ty.IsObjectType():
		return goMap(value)
	default:
		return nil, fmt.Errorf("unsupported value of type %s", ty.FriendlyName())
	}
}

func goNumber(number *big.Float) any {
	if whole, accuracy := number.Int64(); accuracy == big.Exact {
		return whole
	}
	float, _ := number.Float64()
	return float
}

func goList(value cty.Value) (any, error) {
	items := make([]any, 0, value.LengthInt())
	allMaps := value.LengthInt() > 0
	for it := value.ElementIterator(); it.Next(); {
		_, element := it.Element()
		item, err := goValue(element)
		if err != nil {
			return nil, err
		}
		if _, isMap := item.(map[string]any); !isMap {
			allMaps = false
		}
		items = append(items, item)
	}
	if !allMaps {
		return items, nil
	}

	maps := make([]map[string]any, len(items))
	for i, item := range items {
		maps[i] = item.(map[string]any)
	}
	return maps, nil
}

func goMap(value cty.Value) (any, error) {
	out := make(map[string]any, value.LengthInt())
	for it := value.ElementIterator(); it.Next(); {
		key, element := it.Element()
		item, err := goValue(element)
		if err != nil {
			return nil, err
		}
		out[key.AsString()] = item
	}
	return out, nil
}
