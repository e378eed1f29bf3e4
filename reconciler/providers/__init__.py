"""Provider clients: one package per API dialect (auth.py, codec.py, client.py)."""
