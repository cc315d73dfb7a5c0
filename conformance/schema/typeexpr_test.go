package schema

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestParseTypeAcceptsNomadTypeExpressions(t *testing.T) {
	cases := map[string]cty.Type{
		"string":                               cty.String,
		"number":                               cty.Number,
		"bool":                                 cty.Bool,
		"any":                                  cty.DynamicPseudoType,
		"list(string)":                         cty.List(cty.String),
		"set(number)":                          cty.Set(cty.Number),
		"map(string)":                          cty.Map(cty.String),
		"list(map(string))":                    cty.List(cty.Map(cty.String)),
		"tuple([string, number])":              cty.Tuple([]cty.Type{cty.String, cty.Number}),
		`object({name = string, "ro" = bool})`: cty.Object(map[string]cty.Type{"name": cty.String, "ro": cty.Bool}),
	}
	for source, want := range cases {
		got, err := ParseType(source)
		if err != nil {
			t.Errorf("ParseType(%q): %v", source, err)
			continue
		}
		if !got.Equals(want) {
			t.Errorf("ParseType(%q) = %s, want %s", source, got.GoString(), want.GoString())
		}
	}
}

func TestParseTypeRejectsWhatNomadRejects(t *testing.T) {
	for _, source := range []string{"", "str", "list", "list(string, number)", "map(strin)", `"string"`, "string.x"} {
		if ty, err := ParseType(source); err == nil {
			t.Errorf("ParseType(%q) = %s, want an error", source, ty.GoString())
		}
	}
}

func TestEvalLiteralCallsSpecFunctionsAndBuildsObjects(t *testing.T) {
	value, err := EvalLiteral(`{ enabled = false, name = lower("ABC") }`)
	if err != nil {
		t.Fatal(err)
	}
	if !value.GetAttr("enabled").RawEquals(cty.False) || !value.GetAttr("name").RawEquals(cty.StringVal("abc")) {
		t.Errorf("literal = %#v", value)
	}
}

func TestEvalLiteralHasNoVariables(t *testing.T) {
	if _, err := EvalLiteral(`NOMAD_TASK_DIR`); err == nil {
		t.Fatal("a literal referring to a variable evaluated")
	}
}
