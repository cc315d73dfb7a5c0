// Package specfixture builds, as hclspec protos, the config schemas the
// plugin is documented to serve, so that the decoding path can be tested
// without a plugin. The scenario tests use the schemas the plugin really
// serves.
package specfixture

import (
	pb "github.com/nomad-driver-container/conformance/proto/hclspec"
)

// PluginConfig is the documented plugin config schema.
func PluginConfig() *pb.Spec {
	return Object(map[string]*pb.Spec{
		"container_path": Default(Attr("container_path", "string", false), Literal(`""`)),
		"gc": Default(
			Block("gc", false, Object(map[string]*pb.Spec{
				"container": Default(Attr("container", "bool", false), Literal("true")),
				"dangling_containers": Block("dangling_containers", false, Object(map[string]*pb.Spec{
					"enabled":        Default(Attr("enabled", "bool", false), Literal("true")),
					"period":         Default(Attr("period", "string", false), Literal(`"5m"`)),
					"creation_grace": Default(Attr("creation_grace", "string", false), Literal(`"5m"`)),
					"dry_run":        Default(Attr("dry_run", "bool", false), Literal("false")),
				})),
			})),
			Literal("{ container = true }"),
		),
		"volumes": Default(
			Block("volumes", false, Object(map[string]*pb.Spec{
				"enabled": Default(Attr("enabled", "bool", false), Literal("false")),
			})),
			Literal("{ enabled = false }"),
		),
		"networks": Default(
			Block("networks", false, Object(map[string]*pb.Spec{
				"create": Default(Attr("create", "bool", false), Literal("false")),
			})),
			Literal("{ create = false }"),
		),
		"auth": Block("auth", false, Object(map[string]*pb.Spec{
			"username":       Attr("username", "string", false),
			"password":       Attr("password", "string", false),
			"server_address": Attr("server_address", "string", false),
		})),
		"ssh_auth_sock":          Default(Attr("ssh_auth_sock", "string", false), Literal(`""`)),
		"extra_labels":           Attr("", "list(string)", false),
		"image_pull_timeout":     Default(Attr("image_pull_timeout", "string", false), Literal(`"5m"`)),
		"disable_log_collection": Default(Attr("disable_log_collection", "bool", false), Literal("false")),
		"metrics": Default(
			Block("metrics", false, Object(map[string]*pb.Spec{
				"address":  Default(Attr("address", "string", false), Literal(`""`)),
				"interval": Default(Attr("interval", "string", false), Literal(`"10s"`)),
			})),
			Literal(`{ address = "" }`),
		),
	})
}

// TaskConfig is the documented task config schema (README, "Configuration
// reference", task config).
func TaskConfig() *pb.Spec {
	flag := func(name string) *pb.Spec { return Default(Attr(name, "bool", false), Literal("false")) }
	return Object(map[string]*pb.Spec{
		"image":              Attr("", "string", true),
		"command":            Attr("", "string", false),
		"args":               Attr("", "list(string)", false),
		"entrypoint":         Attr("", "list(string)", false),
		"working_dir":        Attr("", "string", false),
		"env":                BlockAttrs("", "string", false),
		"labels":             BlockAttrs("", "string", false),
		"volumes":            Attr("", "list(string)", false),
		"tmpfs":              Attr("", "list(string)", false),
		"ports":              Attr("", "list(string)", false),
		"network_mode":       Attr("", "string", false),
		"hostname":           Attr("", "string", false),
		"user":               Attr("", "string", false),
		"cap_add":            Attr("", "list(string)", false),
		"cap_drop":           Attr("", "list(string)", false),
		"readonly_rootfs":    flag("readonly_rootfs"),
		"init":               flag("init"),
		"tty":                flag("tty"),
		"dns":                Attr("", "list(string)", false),
		"dns_search":         Attr("", "list(string)", false),
		"dns_options":        Attr("", "list(string)", false),
		"rosetta":            flag("rosetta"),
		"platform":           Attr("", "string", false),
		"force_pull":         flag("force_pull"),
		"image_pull_timeout": Attr("", "string", false),
		"auth": Block("auth", false, Object(map[string]*pb.Spec{
			"username":       Attr("username", "string", false),
			"password":       Attr("password", "string", false),
			"server_address": Attr("server_address", "string", false),
		})),
		"ssh_agent":      flag("ssh_agent"),
		"virtualization": flag("virtualization"),
	})
}

// Object wraps named child specs.
func Object(attrs map[string]*pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_Object{Object: &pb.Object{Attributes: attrs}}}
}

// Attr is an attribute spec; an empty name takes the Object key.
func Attr(name, ty string, required bool) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_Attr{Attr: &pb.Attr{Name: name, Type: ty, Required: required}}}
}

// BlockAttrs is a block-of-attributes spec.
func BlockAttrs(name, ty string, required bool) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_BlockAttrs{BlockAttrs: &pb.BlockAttrs{Name: name, Type: ty, Required: required}}}
}

// Block is a single nested block.
func Block(name string, required bool, nested *pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_BlockValue{BlockValue: &pb.Block{Name: name, Required: required, Nested: nested}}}
}

// BlockList is a list of nested blocks.
func BlockList(name string, minItems, maxItems uint64, nested *pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_BlockList{BlockList: &pb.BlockList{
		Name: name, MinItems: minItems, MaxItems: maxItems, Nested: nested}}}
}

// BlockSet is a set of nested blocks.
func BlockSet(name string, minItems, maxItems uint64, nested *pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_BlockSet{BlockSet: &pb.BlockSet{
		Name: name, MinItems: minItems, MaxItems: maxItems, Nested: nested}}}
}

// BlockMap is a map of labelled blocks.
func BlockMap(name string, labels []string, nested *pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_BlockMap{BlockMap: &pb.BlockMap{Name: name, Labels: labels, Nested: nested}}}
}

// Array is a tuple of specs.
func Array(values ...*pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_Array{Array: &pb.Array{Values: values}}}
}

// Default uses fallback when primary decodes to null.
func Default(primary, fallback *pb.Spec) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_Default{Default: &pb.Default{Primary: primary, Default: fallback}}}
}

// Literal is a constant given as an HCL native-syntax expression.
func Literal(value string) *pb.Spec {
	return &pb.Spec{Block: &pb.Spec_Literal{Literal: &pb.Literal{Value: value}}}
}
