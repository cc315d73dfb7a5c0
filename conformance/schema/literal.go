package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// literalFunctions is the function table Nomad's client offers to Literal
// expressions in a served spec. No variables are available to them.
var literalFunctions = map[string]function.Function{
	"abs":        stdlib.AbsoluteFunc,
	"coalesce":   stdlib.CoalesceFunc,
	"concat":     stdlib.ConcatFunc,
	"hasindex":   stdlib.HasIndexFunc,
	"int":        stdlib.IntFunc,
	"jsondecode": stdlib.JSONDecodeFunc,
	"jsonencode": stdlib.JSONEncodeFunc,
	"length":     stdlib.LengthFunc,
	"lower":      stdlib.LowerFunc,
	"max":        stdlib.MaxFunc,
	"min":        stdlib.MinFunc,
	"reverse":    stdlib.ReverseFunc,
	"strlen":     stdlib.StrlenFunc,
	"substr":     stdlib.SubstrFunc,
	"upper":      stdlib.UpperFunc,
}

// EvalLiteral evaluates a Literal spec's value, an HCL native-syntax
// expression such as `"5m"`, `true` or `{ enabled = false }`.
func EvalLiteral(source string) (cty.Value, error) {
	expr, diags := hclsyntax.ParseExpression([]byte(source), "literal", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("parse: %s", diags.Error())
	}
	value, diags := expr.Value(&hcl.EvalContext{Functions: literalFunctions})
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("evaluate: %s", diags.Error())
	}
	return value, nil
}
