package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// ParseType reads an Attr or BlockAttrs type string: the keywords string,
// number, bool and any, and the constructors list(T), set(T), map(T),
// tuple([T, ...]) and object({name = T, ...}). Anything else is an error,
// as it is for Nomad's client.
func ParseType(source string) (cty.Type, error) {
	expr, diags := hclsyntax.ParseExpression([]byte(source), "type", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("parse %q: %s", source, diags.Error())
	}
	return typeOf(expr)
}

func typeOf(expr hclsyntax.Expression) (cty.Type, error) {
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		return keywordType(e)
	case *hclsyntax.ParenthesesExpr:
		return typeOf(e.Expression)
	case *hclsyntax.FunctionCallExpr:
		return constructedType(e)
	default:
		return cty.NilType, fmt.Errorf("%s is not a type expression", describeExpr(expr))
	}
}

func keywordType(expr *hclsyntax.ScopeTraversalExpr) (cty.Type, error) {
	if len(expr.Traversal) != 1 {
		return cty.NilType, fmt.Errorf("a type keyword cannot have attributes or indexes")
	}
	switch name := expr.Traversal.RootName(); name {
	case "string":
		return cty.String, nil
	case "number":
		return cty.Number, nil
	case "bool":
		return cty.Bool, nil
	case "any":
		return cty.DynamicPseudoType, nil
	default:
		return cty.NilType, fmt.Errorf("unknown type keyword %q", name)
	}
}

func constructedType(call *hclsyntax.FunctionCallExpr) (cty.Type, error) {
	if len(call.Args) != 1 || call.ExpandFinal {
		return cty.NilType, fmt.Errorf("%s(...) takes exactly one argument", call.Name)
	}
	arg := call.Args[0]

	switch call.Name {
	case "list", "set", "map":
		elem, err := typeOf(arg)
		if err != nil {
			return cty.NilType, fmt.Errorf("%s element: %w", call.Name, err)
		}
		return collectionType(call.Name, elem), nil
	case "tuple":
		return tupleType(arg)
	case "object":
		return objectType(arg)
	default:
		return cty.NilType, fmt.Errorf("unknown type constructor %q", call.Name)
	}
}

func collectionType(kind string, elem cty.Type) cty.Type {
	switch kind {
	case "list":
		return cty.List(elem)
	case "set":
		return cty.Set(elem)
	default:
		return cty.Map(elem)
	}
}

func tupleType(arg hclsyntax.Expression) (cty.Type, error) {
	elems, ok := arg.(*hclsyntax.TupleConsExpr)
	if !ok {
		return cty.NilType, fmt.Errorf("tuple(...) needs a list of types, got %s", describeExpr(arg))
	}
	types := make([]cty.Type, 0, len(elems.Exprs))
	for i, elem := range elems.Exprs {
		ty, err := typeOf(elem)
		if err != nil {
			return cty.NilType, fmt.Errorf("tuple element %d: %w", i, err)
		}
		types = append(types, ty)
	}
	return cty.Tuple(types), nil
}

func objectType(arg hclsyntax.Expression) (cty.Type, error) {
	fields, ok := arg.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return cty.NilType, fmt.Errorf("object(...) needs a map of types, got %s", describeExpr(arg))
	}
	attrs := make(map[string]cty.Type, len(fields.Items))
	for _, item := range fields.Items {
		name, err := objectKeyName(item.KeyExpr)
		if err != nil {
			return cty.NilType, err
		}
		ty, err := typeOf(item.ValueExpr)
		if err != nil {
			return cty.NilType, fmt.Errorf("object attribute %q: %w", name, err)
		}
		attrs[name] = ty
	}
	return cty.Object(attrs), nil
}

// objectKeyName accepts a bare word or a quoted string as an object key.
func objectKeyName(key hclsyntax.Expression) (string, error) {
	if word := hcl.ExprAsKeyword(key); word != "" {
		return word, nil
	}
	value, diags := key.Value(nil)
	if diags.HasErrors() || !value.Type().Equals(cty.String) || value.IsNull() {
		return "", fmt.Errorf("object attribute names must be words or strings")
	}
	return value.AsString(), nil
}

func describeExpr(expr hclsyntax.Expression) string {
	return fmt.Sprintf("expression at column %d", expr.StartRange().Start.Column)
}
