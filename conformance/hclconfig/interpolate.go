package hclconfig

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Interpolate resolves "${...}" references in one string, as the client
// does for a task's env and meta values.
func Interpolate(text string, vars map[string]cty.Value) (string, error) {
	expr, diags := hclsyntax.ParseTemplate([]byte(text), "interpolate", hcl.InitialPos)
	if diags.HasErrors() {
		return "", fmt.Errorf("parse %q: %s", text, diags.Error())
	}
	value, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: configFunctions})
	if diags.HasErrors() {
		return "", fmt.Errorf("interpolate %q: %s", text, diags.Error())
	}
	str, err := convert.Convert(value, cty.String)
	if err != nil || str.IsNull() {
		return "", fmt.Errorf("interpolate %q: result is not a string", text)
	}
	return str.AsString(), nil
}
