package hclconfig

import (
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// parseFile reads and parses an HCL native-syntax file.
func parseFile(path string) (*hclsyntax.Body, []byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("parse %s: %s", path, diags.Error())
	}
	return file.Body.(*hclsyntax.Body), src, nil
}

// bodyReader reads the plain (non-driver) attributes of an agent or job
// body. The first error sticks, so callers check err once at the end.
type bodyReader struct {
	body *hclsyntax.Body
	err  error
}

func (r *bodyReader) value(name string, ty cty.Type) (cty.Value, bool) {
	attr, ok := r.body.Attributes[name]
	if !ok || r.err != nil {
		return cty.NilVal, false
	}
	raw, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		r.err = fmt.Errorf("%s: %s", name, diags.Error())
		return cty.NilVal, false
	}
	value, err := convert.Convert(raw, ty)
	if err != nil {
		r.err = fmt.Errorf("%s: %w", name, err)
		return cty.NilVal, false
	}
	return value, !value.IsNull()
}

func (r *bodyReader) str(name, fallback string) string {
	if value, ok := r.value(name, cty.String); ok {
		return value.AsString()
	}
	return fallback
}

func (r *bodyReader) integer(name string, fallback int64) int64 {
	value, ok := r.value(name, cty.Number)
	if !ok {
		return fallback
	}
	whole, accuracy := value.AsBigFloat().Int64()
	if accuracy != big.Exact {
		r.err = fmt.Errorf("%s: %s is not a whole number", name, value.AsBigFloat().String())
	}
	return whole
}

func (r *bodyReader) boolean(name string, fallback bool) bool {
	if value, ok := r.value(name, cty.Bool); ok {
		return value.True()
	}
	return fallback
}

func (r *bodyReader) duration(name string, fallback time.Duration) time.Duration {
	text := r.str(name, "")
	if text == "" {
		return fallback
	}
	d, err := time.ParseDuration(text)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: %w", name, err)
	}
	return d
}

func (r *bodyReader) stringList(name string) []string {
	value, ok := r.value(name, cty.List(cty.String))
	if !ok {
		return nil
	}
	var out []string
	for it := value.ElementIterator(); it.Next(); {
		_, element := it.Element()
		out = append(out, element.AsString())
	}
	return out
}

// stringMap reads `name = { k = "v" }` or `name { k = "v" }`. Variable
// references stay as "${...}" text, to be interpolated at task start.
func (r *bodyReader) stringMap(name string, src []byte) map[string]string {
	out := map[string]string{}
	if attr, ok := r.body.Attributes[name]; ok && r.err == nil {
		r.addStrings(out, name, attr.Expr, src)
	}
	for _, block := range blocksOf(r.body, name) {
		for key, attr := range block.Body.Attributes {
			value, err := evaluateDeferred(attr.Expr, src)
			if err != nil {
				r.fail(fmt.Errorf("%s.%s: %w", name, key, err))
				continue
			}
			out[key] = fmt.Sprint(value)
		}
	}
	return out
}

func (r *bodyReader) addStrings(out map[string]string, name string, expr hclsyntax.Expression, src []byte) {
	value, err := evaluateDeferred(expr, src)
	if err != nil {
		r.fail(fmt.Errorf("%s: %w", name, err))
		return
	}
	values, ok := value.(map[string]any)
	if !ok {
		r.fail(fmt.Errorf("%s: want a map of strings, got %T", name, value))
		return
	}
	for key, v := range values {
		out[key] = fmt.Sprint(v)
	}
}

func (r *bodyReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func blocksOf(body *hclsyntax.Body, blockType string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, block := range body.Blocks {
		if block.Type == blockType {
			out = append(out, block)
		}
	}
	return out
}

func firstBlock(body *hclsyntax.Body, blockType string) *hclsyntax.Block {
	if blocks := blocksOf(body, blockType); len(blocks) > 0 {
		return blocks[0]
	}
	return nil
}

func label(block *hclsyntax.Block) string {
	if len(block.Labels) == 0 {
		return ""
	}
	return block.Labels[0]
}
