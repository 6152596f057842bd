"""Small fakes of the servers we talk to over HTTPS (NSX-T Manager, vRealize Operations Manager).

Each is a real HTTPS server in a thread on 127.0.0.1, following the product's documented endpoints
(paths, methods, authentication, JSON field names, status codes), with pytest fixtures beside it.
"""
