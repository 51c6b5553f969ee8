"""HTTP routers, one module per domain. Thin: parse, call a service, return."""
