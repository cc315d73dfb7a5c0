// Package schema turns the hclspec.Spec a plugin serves from ConfigSchema or
// TaskConfigSchema into an hcldec.Spec, following the rules Nomad's client
// applies: Object keys give implied names, Attr and BlockAttrs types are HCL
// type expressions, Literal values are native-syntax expressions evaluated
// with a small function table, and any spec kind Nomad does not know is an
// error.
package schema
