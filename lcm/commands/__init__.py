"""The CLI's command groups, one module per group: `lcm task …`, `lcm datacenter …`, `lcm environment …`,
`lcm repository …`, `lcm interop …`. Each has `add_parser(commands, common)` and its `cmd_*` functions."""
