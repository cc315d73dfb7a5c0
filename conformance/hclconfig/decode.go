package hclconfig

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	"github.com/zclconf/go-cty/cty/msgpack"
)

// DecodeError is a config that does not fit the served spec. Problems holds
// one "summary: detail" line per HCL diagnostic, worded as a Nomad user sees
// them (HCL's "Extraneous JSON object property" reads "Invalid label").
type DecodeError struct {
	Problems []string
}

func (e *DecodeError) Error() string {
	return "failed to parse config: " + strings.Join(e.Problems, "; ")
}

// configFunctions is the function table Nomad's client offers while decoding
// plugin and task configs.
var configFunctions = map[string]function.Function{
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

// Decode decodes a raw config map against spec. vars are the interpolation
// variables (nil for plugin config, the task environment for task config).
// A nil map decodes as an empty config, so defaults still apply.
func Decode(raw map[string]any, spec hcldec.Spec, vars map[string]cty.Value) (cty.Value, error) {
	if raw == nil {
		raw = map[string]any{}
	}
	encoded, err := json.Marshal(raw)
	if err != nil {
		return cty.NilVal, &DecodeError{Problems: []string{"encode config as JSON: " + err.Error()}}
	}

	file, diags := hcljson.Parse(encoded, "")
	if diags.HasErrors() {
		return cty.NilVal, decodeError(diags)
	}

	ctx := &hcl.EvalContext{Variables: vars, Functions: configFunctions}
	value, diags := hcldec.Decode(file.Body, spec, ctx)
	if diags.HasErrors() {
		return cty.NilVal, decodeError(diags)
	}
	return value, nil
}

// Encode msgpack-encodes a decoded config with its own type, as Nomad does.
func Encode(value cty.Value) ([]byte, error) {
	data, err := msgpack.Marshal(value, value.Type())
	if err != nil {
		return nil, fmt.Errorf("msgpack-encode config: %w", err)
	}
	return data, nil
}

// DecodeAndEncode is Decode followed by Encode.
func DecodeAndEncode(raw map[string]any, spec hcldec.Spec, vars map[string]cty.Value) ([]byte, error) {
	value, err := Decode(raw, spec, vars)
	if err != nil {
		return nil, err
	}
	return Encode(value)
}

func decodeError(diags hcl.Diagnostics) *DecodeError {
	out := &DecodeError{}
	for _, diag := range diags {
		if diag.Severity != hcl.DiagError {
			continue
		}
		summary := diag.Summary
		if summary == "Extraneous JSON object property" {
			summary = "Invalid label"
		}
		out.Problems = append(out.Problems, fmt.Sprintf("%s: %s", summary, diag.Detail))
	}
	return out
}
