"""Changes to datacenter components: register, validate, update, discover, delete (each one a task),
and the IPv4 settings of a vCenter's port groups (set at once, no task: nothing on a server changes).

The request-time checks here are the cheap ones that need no login (fields, duplicates, the accepted
certificate, port group settings, products that use a component); everything that talks to the
server with credentials runs in the task's actions.

- components: the tasks that register, validate, update, discover and delete a component, and the
  writes their last actions make (component_store, component_remove)
- specs: a component's spec: checked, completed from the stored component, its password kept or resolved
- certificates: the server's certificate (trust on first use) and the thumbprint a request accepts
- port_groups: the IPv4 settings of a vCenter's port groups, in a spec's `content.networks` or one by one
"""
