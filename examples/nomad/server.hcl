# A single-node Nomad server for trying the driver on one Mac, next to
# client.hcl (run both agents, or merge the two into one `nomad agent`).
#   nomad agent -config examples/nomad/server.hcl
data_dir  = "/opt/nomad/server"
bind_addr = "127.0.0.1"

server {
  enabled          = true
  bootstrap_expect = 1
}

# The client in client.hcl joins this server on its RPC port.
ports {
  http = 4646
  rpc  = 4647
  serf = 4648
}
