"""Typed tools the model may call, and the Acme demo backend."""
