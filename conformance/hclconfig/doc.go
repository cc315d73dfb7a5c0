// Package hclconfig reads the two HCL files a Nomad user writes for a driver
// (the agent's config with its plugin block, and job files) and turns driver
// config blocks into the msgpack bytes Nomad sends the plugin.
//
// The path mirrors Nomad's: the config block is first taken as a plain Go
// map, the way Nomad's job and agent parsers leave it (a nested block, or an
// attribute holding an object, becomes a list of maps); the map is encoded
// as JSON, parsed with HCL's JSON syntax, decoded against the served spec
// with an evaluation context, and msgpack-encoded with the value's own type.
package hclconfig
